package testutils

import "testing"

// RequireLinkType skips t unless the running kernel can create links of
// kind (FeatureDummy "dummy", FeatureVLAN "vlan", FeatureIPVlan "ipvlan").
func RequireLinkType(t testing.TB, kind string) {
	t.Helper()
	RequireKernel(t, kind)
}
