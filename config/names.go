package config

import "regexp"

// MaxNameLen is the longest name of a network or endpoint.
const MaxNameLen = 128

// namePattern is Docker's rule for container names, which dnet's API
// applied to every name before the library did.
var namePattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// IsValidName reports whether name can name a network or an endpoint: 1
// to MaxNameLen letters, digits, '_', '.' and '-', starting with a letter
// or a digit. Names appear in DNS, in URLs of dnet's API and in file
// names, so the library and dnet apply this one rule.
func IsValidName(name string) bool {
	return len(name) <= MaxNameLen && namePattern.MatchString(name)
}
