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

	MessageMax       int // message text, UTF-16 code units
	CaptionMax       int // media caption, UTF-16 code units
	GroupMembers     int
	TitleMax         int // chat title, UTF-16 code units
	AboutMax         int // chat description
	HistoryPage      int // messages per history page at most
	DifferencePage   int // events per difference page at most
	PinnedDialogs    int
	ForwardBatch     int // messages per forward at most
	InviteLinksAlive int // active invite links one person may have per chat at most
	PeopleSearchScan int // group members one users.search looks through at most

	FilePartMax    int64         // bytes in one upload part at most
	FileMax        int64         // bytes in one file at most
	UploadTTL      time.Duration // how long an upload may stay unfinished
	StorageQuota   int64         // bytes one person may store (see core.StartUpload); 0: no limit
	OpenUploadsMax int           // unfinished uploads one person may have at once
	FileURLTTL     time.Duration // how long a signed file URL works

	PhotoMaxPixels int64 // width × height of an image decoded as a photo at most
	PhotoMaxSide   int   // pixels on either side of such an image at most

	PushEndpointMax int // bytes in a Web Push endpoint URL at most
	PushPerSession  int // Web Push subscriptions one session may have

	SecretQueueMax int           // secret-chat envelopes waiting for one device at most
	SecretTTL      time.Duration // how long a secret-chat envelope (or shared file) waits at most
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

		MessageMax:       4096,
		CaptionMax:       1024,
		GroupMembers:     200_000,
		TitleMax:         128,
		AboutMax:         255,
		HistoryPage:      100,
		DifferencePage:   10_000,
		PinnedDialogs:    5,
		ForwardBatch:     100,
		InviteLinksAlive: 100,
		PeopleSearchScan: 10_000,

		FilePartMax:    512 << 10,
		FileMax:        2 << 30,
		UploadTTL:      24 * time.Hour,
		StorageQuota:   20 << 30,
		OpenUploadsMax: 100,
		FileURLTTL:     time.Hour,

		PhotoMaxPixels: 40_000_000,
		PhotoMaxSide:   10_000,

		PushEndpointMax: 1024,
		PushPerSession:  4,

		SecretQueueMax: 10_000,
		SecretTTL:      30 * 24 * time.Hour,
	}
}

// AccountTTLs are the allowed inactivity periods, in days (1, 3, 6, 12
// months); DefaultAccountTTLDays is 12 months.
var AccountTTLs = []int{30, 90, 180, 365}

// DefaultAccountTTLDays is the inactivity period of a new account.
const DefaultAccountTTLDays = 365
