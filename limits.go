package haven

import "time"

// Limits are the sizes and counts every edge enforces. DefaultLimits gives
// the values in DESIGN.md; an operator may change them.
type Limits struct {
	MaxBodyBytes      int64 // request body and WebSocket frame
	FirstNameMax      int   // characters
	LastNameMax       int
	BioMax            int
	DeviceMax         int
	PasswordMin       int
	PasswordMax       int
	HintMax           int
	CodeLength        int
	CodeTTL           time.Duration
	CodeAttempts      int
	UsersPerRequest   int
	ContactsPerImport int
}

// DefaultLimits returns the limits of DESIGN.md and the foundation issue.
func DefaultLimits() Limits {
	return Limits{
		MaxBodyBytes:      1 << 20,
		FirstNameMax:      64,
		LastNameMax:       64,
		BioMax:            70,
		DeviceMax:         64,
		PasswordMin:       8,
		PasswordMax:       256,
		HintMax:           64,
		CodeLength:        5,
		CodeTTL:           5 * time.Minute,
		CodeAttempts:      5,
		UsersPerRequest:   200,
		ContactsPerImport: 1000,
	}
}

// AccountTTLs are the allowed inactivity periods, in days (1, 3, 6, 12
// months); DefaultAccountTTLDays is 12 months.
var AccountTTLs = []int{30, 90, 180, 365}

// DefaultAccountTTLDays is the inactivity period of a new account.
const DefaultAccountTTLDays = 365
