package suitetest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/refreshspec/refreshspec/dialect"
	"github.com/refreshspec/refreshspec/internal/reference"
)

// EnvDialect names the backend mapping a suite test runs in (DialectNames):
// the fake backend serves it, the reference speaks it, and the suites' own
// calls to the backend use it. Unset is "json", contract.md §1 as written.
const EnvDialect = "REFRESHSPEC_DIALECT"

// The mappings the suite tests run in, by name.
const (
	// DialectJSON is contract.md §1 as written.
	DialectJSON = "json"
	// DialectOAuth2 is an OAuth 2.0 server as Keycloak lays one out: the
	// realm's token, revocation and userinfo endpoints, a confidential
	// client with HTTP Basic, offline_access for a refresh token, the
	// first name as given_name.
	DialectOAuth2 = "oauth2"
	// DialectCustom is a team's own JSON backend: other paths, camelCase
	// fields, a flat envelope without a success flag or token_type, errors
	// as {"code","detail"}, logout with DELETE.
	DialectCustom = "custom"
)

// DialectNames are the names EnvDialect takes, in the order the tests run them.
var DialectNames = []string{DialectJSON, DialectOAuth2, DialectCustom}

// The OAuth 2.0 client of the oauth2 mapping.
const (
	OAuth2ClientID     = "refreshspec-test"
	OAuth2ClientSecret = "refreshspec-test-secret"
)

// mappingJSON is each named mapping as a profile's backend section writes it
// (see docs/dialects.md), so that it goes through the same defaults and
// checks as a user's.
var mappingJSON = map[string]string{
	DialectJSON: `{}`,
	DialectOAuth2: `{"dialect":"oauth2",
		"refresh":{"path":"/realms/test/protocol/openid-connect/token"},
		"logout":{"path":"/realms/test/protocol/openid-connect/revoke"},
		"me":{"path":"/realms/test/protocol/openid-connect/userinfo"},
		"profile":{"path":"/realms/test/account"},
		"paths":{"me_first_name":"given_name"},
		"client_id":"` + OAuth2ClientID + `","client_secret":"` + OAuth2ClientSecret + `",
		"scope":"openid offline_access"}`,
	DialectCustom: `{"login":{"path":"/api/v1/session"},"login_fields":{"email":"login","password":"secret"},
		"refresh":{"path":"/api/v1/token/refresh"},"logout":{"method":"DELETE","path":"/api/v1/session"},
		"me":{"path":"/api/v1/me"},"profile":{"path":"/api/v1/me"},
		"fields":{"refresh_token":"refreshToken"},
		"paths":{"access_token":"accessToken","refresh_token":"refreshToken","expires_in":"expiresIn","token_type":"none",
			"first_name":"user.firstName","me_first_name":"firstName"},
		"errors":{"code":"code","message":"detail"},"success_flag":"none"}`,
}

// Mapping is the named mapping, defaults applied and checked.
func Mapping(name string) (dialect.Mapping, error) {
	raw, ok := mappingJSON[name]
	if !ok {
		return dialect.Mapping{}, fmt.Errorf("no mapping named %q (known: %s)", name, strings.Join(DialectNames, ", "))
	}
	m, err := dialect.ParseJSON([]byte(raw))
	if err != nil {
		return dialect.Mapping{}, fmt.Errorf("the %s mapping: %w", name, err)
	}
	return m, nil
}

// DialectFromEnv is the name EnvDialect gives ("json" when unset) and its mapping.
func DialectFromEnv() (string, dialect.Mapping, error) {
	name := os.Getenv(EnvDialect)
	if name == "" {
		name = DialectJSON
	}
	if !slices.Contains(DialectNames, name) {
		return "", dialect.Mapping{}, fmt.Errorf("%s=%q: want one of %s", EnvDialect, name, strings.Join(DialectNames, ", "))
	}
	m, err := Mapping(name)
	return name, m, err
}

// MappingEnv is the environment that tells the reference proxy how the
// backend speaks: BACKEND_MAPPING naming a file in dir that holds m, and
// nothing for contract.md §1, which the reference speaks by default.
func MappingEnv(m dialect.Mapping, dir string) (map[string]string, error) {
	m.ApplyDefaults()
	if m == dialect.Default() {
		return map[string]string{}, nil
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("the reference's mapping: %w", err)
	}
	path := filepath.Join(dir, "backend-mapping.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		return nil, fmt.Errorf("the reference's mapping: %w", err)
	}
	return map[string]string{reference.EnvBackendMapping: path}, nil
}
