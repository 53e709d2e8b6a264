package libnetwork

import (
	"crypto/rand"
	"encoding/hex"
)

// generateID returns a random 64-hex-character ID.
func generateID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails on Linux
	return hex.EncodeToString(b)
}
