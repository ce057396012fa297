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

// DefaultPrivacy returns the settings of a new account, each at the
// choice that tells others the least while messaging still works: the
// phone number hidden from everyone; being found by phone number, seen
// online and added to groups only by the person's contacts. The profile
// photo and links on forwards stay open, as in Telegram: the photo shows
// only to people who may see the profile at all, and a link only names
// an account (docs/api.md, Privacy, gives each default and why).
func DefaultPrivacy() Privacy {
	return Privacy{
		PrivacyPhoneNumber:  Nobody,
		PrivacyLastSeen:     Contacts,
		PrivacyProfilePhoto: Everybody,
		PrivacyFindByPhone:  Contacts,
		PrivacyAddToGroups:  Contacts,
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
