package haven

// PrivacyKey names one privacy setting.
type PrivacyKey string

// The privacy settings.
const (
	PrivacyPhoneNumber  PrivacyKey = "phone_number"
	PrivacyLastSeen     PrivacyKey = "last_seen"
	PrivacyProfilePhoto PrivacyKey = "profile_photo"
	PrivacyFindByPhone  PrivacyKey = "find_by_phone"
	PrivacyAddToGroups  PrivacyKey = "add_to_groups"
	// PrivacyForwards: who may forward my messages with a link to my
	// account; others' forwards show only my name.
	PrivacyForwards PrivacyKey = "forwards"
)

// PrivacyKeys lists every setting, in the order they are shown.
var PrivacyKeys = []PrivacyKey{PrivacyPhoneNumber, PrivacyLastSeen, PrivacyProfilePhoto, PrivacyFindByPhone, PrivacyAddToGroups, PrivacyForwards}

// Audience is who a setting lets in.
type Audience string

// The audiences.
const (
	Everybody Audience = "everybody"
	Contacts  Audience = "contacts"
	Nobody    Audience = "nobody"
)

// Valid reports whether a is one of the three audiences.
func (a Audience) Valid() bool { return a == Everybody || a == Contacts || a == Nobody }

// Valid reports whether k is a known setting.
func (k PrivacyKey) Valid() bool {
	for _, x := range PrivacyKeys {
		if x == k {
			return true
		}
	}
	return false
}

// Privacy is a person's privacy settings. The zero value is not valid;
// start from DefaultPrivacy.
type Privacy map[PrivacyKey]Audience

// DefaultPrivacy returns the settings of a new account: the phone number
// hidden from everyone; the rest open as in Telegram.
func DefaultPrivacy() Privacy {
	return Privacy{
		PrivacyPhoneNumber:  Nobody,
		PrivacyLastSeen:     Everybody,
		PrivacyProfilePhoto: Everybody,
		PrivacyFindByPhone:  Everybody,
		PrivacyAddToGroups:  Everybody,
		PrivacyForwards:     Everybody,
	}
}

// Get returns the audience for k, falling back to the default.
func (p Privacy) Get(k PrivacyKey) Audience {
	if a, ok := p[k]; ok {
		return a
	}
	return DefaultPrivacy()[k]
}
