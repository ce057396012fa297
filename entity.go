package haven

import (
	"cmp"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Entity marks a span of a message's text as formatted (bold, code ...) or
// as something a client makes clickable (a link, a mention, a hashtag).
// Offset and Length count UTF-16 code units, as Telegram does, so that
// clients written for Telegram's entities work unchanged.
type Entity struct {
	Type     EntityType `json:"type"`
	Offset   int        `json:"offset"`             // UTF-16 code units
	Length   int        `json:"length"`             // UTF-16 code units
	URL      string     `json:"url,omitempty"`      // text_link only
	Language string     `json:"language,omitempty"` // pre only
	UserID   int64      `json:"user_id,omitempty"`  // text_mention only: a user without a username
}

// EntityType names what an Entity marks. The names are Telegram's.
type EntityType string

// The entity types. The first group is formatting that a client chooses;
// the second group is what DetectEntities also finds on its own.
const (
	EntityBold          EntityType = "bold"
	EntityItalic        EntityType = "italic"
	EntityUnderline     EntityType = "underline"
	EntityStrikethrough EntityType = "strikethrough"
	EntitySpoiler       EntityType = "spoiler"
	EntityCode          EntityType = "code"
	EntityPre           EntityType = "pre"          // a code block; Language optional
	EntityTextLink      EntityType = "text_link"    // text that links to URL
	EntityTextMention   EntityType = "text_mention" // text that mentions UserID

	EntityMention    EntityType = "mention"     // @username
	EntityHashtag    EntityType = "hashtag"     // #tag
	EntityBotCommand EntityType = "bot_command" // /start or /start@botname
	EntityURL        EntityType = "url"         // https://example.com, www.example.com
	EntityEmail      EntityType = "email"       // ann@example.com
)

// Entity limits. MaxEntities is the default for ValidateEntities' max.
const (
	MaxEntities       = 100
	EntityURLMax      = 2048 // bytes of a text_link's URL
	EntityLanguageMax = 32   // characters of a pre's Language
)

// knownType reports whether t is one of the entity types above.
func knownType(t EntityType) bool {
	switch t {
	case EntityBold, EntityItalic, EntityUnderline, EntityStrikethrough, EntitySpoiler,
		EntityCode, EntityPre, EntityTextLink, EntityTextMention,
		EntityMention, EntityHashtag, EntityBotCommand, EntityURL, EntityEmail:
		return true
	}
	return false
}

// styleType reports whether t only changes how text looks. Such entities
// may nest with any other; MergeEntities nests detected entities only in
// these (Telegram's rule: links, mentions, code and pre do not contain one
// another).
func styleType(t EntityType) bool {
	switch t {
	case EntityBold, EntityItalic, EntityUnderline, EntityStrikethrough, EntitySpoiler:
		return true
	}
	return false
}

func (e Entity) end() int { return e.Offset + e.Length }

// compareEntities orders entities by Offset ascending, then Length
// descending (so an entity comes before the ones it contains), then by the
// remaining fields so that the order is total and duplicates are adjacent.
func compareEntities(a, b Entity) int {
	if c := cmp.Compare(a.Offset, b.Offset); c != 0 {
		return c
	}
	if c := cmp.Compare(b.Length, a.Length); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Type, b.Type); c != 0 {
		return c
	}
	if c := cmp.Compare(a.URL, b.URL); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Language, b.Language); c != 0 {
		return c
	}
	return cmp.Compare(a.UserID, b.UserID)
}

// ValidateEntities checks the entities a client sent with text and returns
// them normalised: sorted by Offset ascending then Length descending (ties
// in a fixed order), exact duplicates dropped, the caller's slice left
// untouched. max is the most entities allowed; 0 or less means MaxEntities.
//
// Each entity must have a known Type and lie within the text, Length at
// least 1, neither end splitting a surrogate pair. URL is required on
// text_link (an absolute http, https, mailto or tg URL of at most
// EntityURLMax bytes with no spaces or control characters) and forbidden on
// the others; Language is allowed only on pre (at most EntityLanguageMax of
// A-Z a-z 0-9 + # . _ -); UserID is required on text_mention (1 to MaxID-1)
// and forbidden on the others. A mention must cover "@" and a valid
// username, since the user it names is notified. Two entities are either
// disjoint or one contains the other: nesting is allowed, partial overlap
// is not.
//
// The text itself is not checked: it is counted as Go ranges over it, each
// invalid byte one code unit, as UTF16Len does.
//
// Errors: CodeEntitiesTooMany; CodeEntitiesInvalid, whose message names the
// first offending entity by its index in es (from 0) and says why.
func ValidateEntities(text string, es []Entity, max int) ([]Entity, error) {
	if max <= 0 {
		max = MaxEntities
	}
	if len(es) > max {
		return nil, Errorf(CodeEntitiesTooMany, "at most %d entities are allowed, got %d", max, len(es))
	}
	if len(es) == 0 {
		return nil, nil
	}
	n, mids := utf16Layout(text)
	for i, e := range es {
		if why := checkEntity(e, n, mids); why != "" {
			return nil, Errorf(CodeEntitiesInvalid, "entity %d: %s", i, why)
		}
		// Mentions notify the user named in the text: the text must name one.
		if e.Type == EntityMention {
			if s := EntitySlice(text, e); len(s) < 2 || s[0] != '@' || !ValidUsername(s[1:]) {
				return nil, Errorf(CodeEntitiesInvalid, "entity %d: a mention must cover @ and a username", i)
			}
		}
	}

	order := make([]int, len(es))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return compareEntities(es[a], es[b]) })

	out := make([]Entity, 0, len(es))
	// open holds the indices of the entities that contain the current
	// position, outermost first; since the input is sorted, an entity that
	// starts inside the innermost one must also end inside it.
	var open []int
	for _, k := range order {
		e := es[k]
		if len(out) > 0 && out[len(out)-1] == e {
			continue
		}
		for len(open) > 0 && es[open[len(open)-1]].end() <= e.Offset {
			open = open[:len(open)-1]
		}
		if len(open) > 0 {
			if top := es[open[len(open)-1]]; e.end() > top.end() {
				return nil, Errorf(CodeEntitiesInvalid, "entity %d: %s partially overlaps entity %d (%s); entities must nest or be disjoint",
					k, e.Type, open[len(open)-1], top.Type)
			}
		}
		open = append(open, k)
		out = append(out, e)
	}
	return out, nil
}

// utf16Layout returns the length of text in UTF-16 code units and, in
// ascending order, the offsets that fall between the two halves of a
// surrogate pair (none in most texts).
func utf16Layout(text string) (n int, mids []int) {
	for _, r := range text {
		if utf16.RuneLen(r) == 2 {
			mids = append(mids, n+1)
			n += 2
		} else {
			n++
		}
	}
	return n, mids
}

// checkEntity returns why e is not valid in a text of n code units with
// surrogate-pair middles mids, or "" if it is.
func checkEntity(e Entity, n int, mids []int) string {
	switch {
	case e.Type == "":
		return "type is missing"
	case !knownType(e.Type):
		return "unknown type " + quoteShort(string(e.Type))
	case e.Offset < 0:
		return "offset is negative"
	case e.Length < 1:
		return "length must be at least 1"
	case e.Offset > n || e.Length > n-e.Offset: // written so as not to overflow
		return "it runs past the end of the text (" + strconv.Itoa(n) + " UTF-16 code units)"
	}
	if _, found := slices.BinarySearch(mids, e.Offset); found {
		return "its offset splits a surrogate pair"
	}
	if _, found := slices.BinarySearch(mids, e.end()); found {
		return "its end splits a surrogate pair"
	}

	if e.URL != "" && e.Type != EntityTextLink {
		return "url is allowed only on text_link"
	}
	if e.Language != "" && e.Type != EntityPre {
		return "language is allowed only on pre"
	}
	if e.UserID != 0 && e.Type != EntityTextMention {
		return "user_id is allowed only on text_mention"
	}
	switch e.Type {
	case EntityTextLink:
		if e.URL == "" {
			return "text_link needs a url"
		}
		if why := checkLinkURL(e.URL); why != "" {
			return "url " + why
		}
	case EntityPre:
		if len(e.Language) > EntityLanguageMax {
			return "language is longer than " + strconv.Itoa(EntityLanguageMax) + " characters"
		}
		for i := 0; i < len(e.Language); i++ {
			if c := e.Language[i]; !isASCIIAlnum(rune(c)) && !strings.ContainsRune("+#._-", rune(c)) {
				return "language may contain only A-Z a-z 0-9 + # . _ -"
			}
		}
	case EntityTextMention:
		if e.UserID <= 0 || e.UserID >= MaxID {
			return "text_mention needs a user_id from 1 to 2^53-1"
		}
	}
	return ""
}

// checkLinkURL returns why u may not be a text_link's URL, or "".
func checkLinkURL(u string) string {
	if len(u) > EntityURLMax {
		return "is longer than " + strconv.Itoa(EntityURLMax) + " bytes"
	}
	if !utf8.ValidString(u) {
		return "is not valid UTF-8"
	}
	for _, r := range u {
		if unicode.IsControl(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			return "contains a space or control character"
		}
	}
	p, err := url.Parse(u)
	if err != nil {
		return "is not a valid URL"
	}
	switch strings.ToLower(p.Scheme) {
	case "http", "https":
		if p.Host == "" {
			return "has no host"
		}
	case "mailto":
		if p.Opaque == "" {
			return "has no address"
		}
	case "tg":
		if p.Host == "" && p.Opaque == "" {
			return "is empty"
		}
	default:
		return "must be an absolute http, https, mailto or tg URL"
	}
	return ""
}

// EntitySlice returns the part of text that e covers, such as "@ann" for a
// mention, or "" if e does not lie within text on code-point boundaries.
func EntitySlice(text string, e Entity) string {
	if e.Offset < 0 || e.Length < 0 || e.Length > math.MaxInt-e.Offset {
		return ""
	}
	end := e.end()
	bstart, bend, n := -1, -1, 0
	for i, r := range text {
		if n == e.Offset {
			bstart = i
		}
		if n == end {
			bend = i
			break
		}
		n += utf16.RuneLen(r)
	}
	if bend < 0 && n == end {
		if n == e.Offset {
			bstart = len(text)
		}
		bend = len(text)
	}
	if bstart < 0 || bend < 0 {
		return ""
	}
	return text[bstart:bend]
}

// MergeEntities returns the given entities together with those of detected
// that fit among them, sorted as ValidateEntities sorts. A detected entity
// fits if, for every given one, the two are disjoint or it nests (either
// way) with a style entity (bold, italic, underline, strikethrough,
// spoiler): so nothing is detected inside code or pre, across a given
// entity's edge, or inside or around a given link or mention. given is
// expected to have passed ValidateEntities and detected to come from
// DetectEntities on the same text; then the result passes too (its count
// aside, which may exceed MaxEntities). Neither slice is modified.
func MergeEntities(given, detected []Entity) []Entity {
	if len(given)+len(detected) == 0 {
		return nil
	}
	out := make([]Entity, 0, len(given)+len(detected))
	out = append(out, given...)
	for _, d := range detected {
		if entityFits(d, given) {
			out = append(out, d)
		}
	}
	slices.SortStableFunc(out, compareEntities)
	return slices.Compact(out)
}

// entityFits reports whether d may join given (see MergeEntities).
func entityFits(d Entity, given []Entity) bool {
	for _, g := range given {
		if d.end() <= g.Offset || g.end() <= d.Offset {
			continue // disjoint
		}
		nested := d.Offset >= g.Offset && d.end() <= g.end() || g.Offset >= d.Offset && g.end() <= d.end()
		if !nested || !styleType(g.Type) {
			return false
		}
	}
	return true
}

// DetectEntities finds the mentions, hashtags, bot commands, URLs and email
// addresses in text, in order, none overlapping another. Offsets and
// lengths are in UTF-16 code units.
//
//   - mention: @ and a username (UsernameMin to UsernameMax of a-z A-Z 0-9 _,
//     starting with a letter), not preceded by a letter, digit or _ and not
//     followed by one or by @.
//   - hashtag: # and letters, digits, _ and combining marks in any script,
//     at least one letter, not preceded by a letter, digit or _.
//   - bot_command: / and 1 to 32 of a-z A-Z 0-9 _, optionally @botname, at
//     the start of the text or after a space, not followed by a letter,
//     digit, _, / or @ (so paths like /usr/bin are not commands).
//   - url: http:// or https:// (any case) and a host starting with a letter,
//     digit or [, or www. and a domain with a top-level name of two or more
//     letters; then up to the next space, control character, <, > or ",
//     less trailing . , ; : ! ? ' and unbalanced ) ] }. Bare domains such as
//     example.com are not detected: without a list of top-level domains,
//     file names like main.go would be.
//   - email: ASCII local part, @, and an ASCII domain of two or more labels
//     with a top-level name of two or more letters.
//
// It runs in time linear in len(text).
func DetectEntities(text string) []Entity {
	d := detector{rs: []rune(text)} // as ranging does: each invalid byte one RuneError
	d.pos = make([]int, len(d.rs)+1)
	for i, r := range d.rs {
		d.pos[i+1] = d.pos[i] + utf16.RuneLen(r)
	}
	var out []Entity
	for i := 0; i < len(d.rs); {
		prev := ' ' // the start of the text counts as a space
		if i > 0 {
			prev = d.rs[i-1]
		}
		r := d.rs[i]
		start, end, typ := i, -1, EntityType("")
		if (r|0x20 == 'h' || r|0x20 == 'w') && i >= d.urlSkip && !isWordRune(prev) {
			end, typ = d.url(i), EntityURL
		}
		if end < 0 && isLocalRune(r) && !isLocalRune(prev) && !isWordRune(prev) {
			start, end = d.email(i)
			typ = EntityEmail
		}
		if end < 0 {
			switch {
			case r == '@' && !isWordRune(prev):
				end, typ = d.mention(i), EntityMention
			case r == '#' && !isWordRune(prev):
				end, typ = d.hashtag(i), EntityHashtag
			case r == '/' && unicode.IsSpace(prev):
				end, typ = d.command(i), EntityBotCommand
			}
		}
		if end < 0 {
			i++
			continue
		}
		out = append(out, Entity{Type: typ, Offset: d.pos[start], Length: d.pos[end] - d.pos[start]})
		i = end
	}
	return out
}

// detector holds the text being scanned by DetectEntities. Each method
// tries one kind of entity at rune index i and returns the index just past
// it, or -1. Together they look at each rune a bounded number of times:
// a failed attempt never rescans what a later attempt of its kind will.
type detector struct {
	rs      []rune
	pos     []int // pos[i] is the UTF-16 offset of rs[i]; pos[len(rs)] the length
	urlSkip int   // no URL starts before this index (the host of a failed one)
}

// urlTrailing is trimmed from the end of a detected URL: it more likely
// ends the sentence than the URL.
const urlTrailing = ".,;:!?'"

func (d *detector) url(i int) int {
	rs := d.rs
	hostStart, www := 0, false
	switch {
	case hasPrefixFold(rs[i:], "https://"):
		hostStart = i + len("https://")
	case hasPrefixFold(rs[i:], "http://"):
		hostStart = i + len("http://")
	case hasPrefixFold(rs[i:], "www."):
		hostStart, www = i+len("www."), true
	default:
		return -1
	}
	hostEnd := hostStart
	for hostEnd < len(rs) && !urlStop(rs[hostEnd]) && !strings.ContainsRune("/?#", rs[hostEnd]) {
		hostEnd++
	}
	// A URL starting inside this host would have a suffix of it as its own
	// host: do not try, so that each host is scanned once.
	d.urlSkip = hostEnd
	h := hostEnd
	for h > hostStart && strings.ContainsRune(urlTrailing+")]}", rs[h-1]) {
		h--
	}
	if !validURLHost(rs[hostStart:h], www) {
		return -1
	}

	end := hostEnd
	for end < len(rs) && !urlStop(rs[end]) {
		end++
	}
	var open, close [3]int // ( [ {
	for _, r := range rs[i:end] {
		if k := strings.IndexRune("([{", r); k >= 0 {
			open[k]++
		} else if k := strings.IndexRune(")]}", r); k >= 0 {
			close[k]++
		}
	}
	for end > h {
		r := rs[end-1]
		if strings.ContainsRune(urlTrailing, r) {
			end--
			continue
		}
		if k := strings.IndexRune(")]}", r); k >= 0 && close[k] > open[k] {
			close[k]--
			end--
			continue
		}
		break
	}
	return end
}

// validURLHost checks the host of a detected URL. After http(s):// it need
// only start sensibly; after www. it must be a domain name (a port allowed).
func validURLHost(host []rune, www bool) bool {
	if len(host) == 0 {
		return false
	}
	if !www {
		return isLetterDigit(host[0]) || host[0] == '['
	}
	if k := slices.Index(host, ':'); k >= 0 {
		for _, r := range host[k+1:] {
			if !isASCIIDigit(r) {
				return false
			}
		}
		host = host[:k]
	}
	return validDomain(host, func(r rune) bool { return isLetterDigit(r) || r == '-' }, unicode.IsLetter)
}

// validDomain reports whether name is two or more dot-separated labels of
// runes for which label is true, none empty or starting or ending with '-',
// at most 63 runes each, the last of two or more runes for which tld is true.
func validDomain(name []rune, label, tld func(rune) bool) bool {
	labels, start := 0, 0
	for i := 0; i <= len(name); i++ {
		if i < len(name) && name[i] != '.' {
			if !label(name[i]) {
				return false
			}
			continue
		}
		l := name[start:i]
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		labels++
		if i == len(name) {
			if len(l) < 2 || slices.IndexFunc(l, func(r rune) bool { return !tld(r) }) >= 0 {
				return false
			}
		}
		start = i + 1
	}
	return labels >= 2
}

// email tries an address whose local part starts at i (a run start); it
// returns the span, skipping leading punctuation of the local part.
func (d *detector) email(i int) (start, end int) {
	rs := d.rs
	at := i
	for at < len(rs) && isLocalRune(rs[at]) {
		at++
	}
	if at == len(rs) || rs[at] != '@' {
		return i, -1
	}
	start = i
	for start < at && !isASCIIAlnum(rs[start]) {
		start++
	}
	local := rs[start:at]
	if len(local) == 0 || len(local) > 64 || local[len(local)-1] == '.' || hasDoubleDot(local) {
		return i, -1
	}
	end = at + 1
	for end < len(rs) && (isASCIIAlnum(rs[end]) || rs[end] == '-' || rs[end] == '.') {
		end++
	}
	for end > at+1 && rs[end-1] == '.' {
		end--
	}
	if !validDomain(rs[at+1:end], func(r rune) bool { return isASCIIAlnum(r) || r == '-' }, isASCIILetter) {
		return i, -1
	}
	if end < len(rs) && (isWordRune(rs[end]) || rs[end] == '@') {
		return i, -1
	}
	return start, end
}

func (d *detector) mention(i int) int {
	j := usernameEnd(d.rs, i+1)
	if !ValidUsername(string(d.rs[i+1 : j])) {
		return -1
	}
	if j < len(d.rs) && (isWordRune(d.rs[j]) || d.rs[j] == '@') {
		return -1
	}
	return j
}

func (d *detector) hashtag(i int) int {
	j, letter := i+1, false
	for j < len(d.rs) && isWordRune(d.rs[j]) {
		letter = letter || unicode.IsLetter(d.rs[j])
		j++
	}
	if !letter {
		return -1
	}
	return j
}

func (d *detector) command(i int) int {
	rs := d.rs
	j := usernameEnd(rs, i+1)
	if n := j - (i + 1); n < 1 || n > 32 {
		return -1
	}
	if j < len(rs) && rs[j] == '@' {
		k := usernameEnd(rs, j+1)
		if !ValidUsername(string(rs[j+1 : k])) {
			return -1
		}
		j = k
	}
	if j < len(rs) && (isWordRune(rs[j]) || rs[j] == '/' || rs[j] == '@') {
		return -1
	}
	return j
}

// usernameEnd returns the index just past the run of a-z A-Z 0-9 _ at i.
func usernameEnd(rs []rune, i int) int {
	for i < len(rs) && (isASCIIAlnum(rs[i]) || rs[i] == '_') {
		i++
	}
	return i
}

// hasPrefixFold reports whether rs starts with the lower-case ASCII prefix,
// in any case.
func hasPrefixFold(rs []rune, prefix string) bool {
	if len(rs) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		r := rs[i]
		if isASCIILetter(r) {
			r |= 0x20
		}
		if r != rune(prefix[i]) {
			return false
		}
	}
	return true
}

func hasDoubleDot(rs []rune) bool {
	for i := 1; i < len(rs); i++ {
		if rs[i] == '.' && rs[i-1] == '.' {
			return true
		}
	}
	return false
}

// urlStop reports whether r ends a detected URL.
func urlStop(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) ||
		r == '<' || r == '>' || r == '"' || r == utf8.RuneError
}

// isWordRune reports whether r continues a word: a letter, digit, combining
// mark or _ in any script. Entities start and end at word boundaries.
func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// isLocalRune reports whether r may be in the local part of a detected
// email address.
func isLocalRune(r rune) bool {
	return isASCIIAlnum(r) || r == '.' || r == '_' || r == '%' || r == '+' || r == '-'
}

func isLetterDigit(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
func isASCIILetter(r rune) bool { return r|0x20 >= 'a' && r|0x20 <= 'z' }
func isASCIIDigit(r rune) bool  { return r >= '0' && r <= '9' }
func isASCIIAlnum(r rune) bool  { return isASCIILetter(r) || isASCIIDigit(r) }

// quoteShort quotes s for an error message, cut to 32 bytes: it comes from
// the client.
func quoteShort(s string) string {
	if len(s) > 32 {
		s = strings.ToValidUTF8(s[:32], "") + "..."
	}
	return strconv.Quote(s)
}
