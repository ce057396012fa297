package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// envPrefix starts the name of every environment variable Haven reads.
const envPrefix = "HAVEN_"

// configName is the setting that names the TOML file. It can be given as a
// flag or in the environment but not inside the file itself.
const configName = "config"

// kind is the shape of a setting's value. It decides which TOML types the
// file may use for it, whether its flag takes an argument, and how usage
// describes it; the setting's own set function still parses the text.
type kind int

const (
	kindString   kind = iota // TOML string
	kindInt                  // TOML integer
	kindFloat                // TOML float or integer
	kindBool                 // TOML boolean; a flag that needs no argument
	kindDuration             // TOML string such as "15s"
	kindSize                 // TOML integer (bytes) or string such as "1MiB"
	kindList                 // TOML string "a,b" or array of strings
)

// setting describes one configuration setting of a command whose settings
// struct is C. A table of these is the single place a command's settings
// are declared.
type setting[C any] struct {
	name string // flag name and TOML key; the env name is derived from it
	kind kind
	arg  string // placeholder for the value in usage, e.g. "ADDR"
	// def is the default, applied through set before any source, so it is
	// parsed and checked like every other value. Empty means none.
	def string
	// defNote replaces def in usage when the default is derived from
	// another setting after loading, e.g. "<data-dir>/acme".
	defNote string
	help    string
	// secret settings never have their value quoted in an error.
	secret bool
	// set parses v and stores it in c. Its error describes the problem
	// without quoting v: the loader adds the value (unless secret), the
	// setting's name and the source.
	set func(c *C, v string) error
}

// envName is the environment variable for the setting called name:
// HAVEN_ followed by the name upper-cased with '-' turned into '_'.
func envName(name string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// assignment is one value for one setting from one source.
type assignment struct {
	name   string
	value  string
	source string // "flag --x", "env HAVEN_X" or "file PATH"
}

// loader gathers the values of one command's settings from every source.
type loader[C any] struct {
	command string // e.g. "haven serve", for usage
	summary string // one paragraph for usage
	table   []setting[C]
	byName  map[string]*setting[C]
	byEnv   map[string]*setting[C]
}

func newLoader[C any](command, summary string, table []setting[C]) *loader[C] {
	l := &loader[C]{
		command: command,
		summary: summary,
		table:   table,
		byName:  make(map[string]*setting[C], len(table)),
		byEnv:   make(map[string]*setting[C], len(table)),
	}
	for i := range table {
		s := &table[i]
		if _, dup := l.byName[s.name]; dup {
			panic("config: setting " + s.name + " declared twice")
		}
		l.byName[s.name] = s
		l.byEnv[envName(s.name)] = s
	}
	return l
}

// load fills c from defaults, the config file, environ and args, in that
// order of precedence. It returns the highest source that gave each
// setting given other than by its default, and every problem it found. If args ask for
// help, it writes usage to stderr and returns flag.ErrHelp alone.
func (l *loader[C]) load(c *C, args, environ []string, stderr io.Writer) (map[string]string, []error, error) {
	if stderr == nil {
		stderr = io.Discard
	}
	var errs []error

	for _, s := range l.table {
		if s.def == "" {
			continue
		}
		if err := s.set(c, s.def); err != nil {
			// A bad default is a bug in the table, found by the tests.
			errs = append(errs, l.valueError(s, "default", s.def, err))
		}
	}

	flags, flagErr := l.parseFlags(args)
	if errors.Is(flagErr, flag.ErrHelp) {
		l.usage(stderr)
		return nil, nil, flag.ErrHelp
	}
	env, envErrs := l.scanEnv(environ)

	// The file's path comes from the higher sources, so they are read
	// first; they are still applied after the file, which they override.
	var file []assignment
	var fileErrs []error
	if cfg, ok := last(configName, env, flags); ok && cfg.value != "" {
		file, fileErrs = l.readFile(cfg)
	}

	// Errors are grouped by source, in order of precedence, and each
	// source's own problems come before its bad values. A bad value
	// leaves the lower one in place, but from still records its source:
	// a setting someone tried to give counts as given, so that the
	// consistency checks do not add a second, misleading error about it
	// (such as "acme-email has no effect" after a bad acme-domain).
	from := make(map[string]string)
	apply := func(src []assignment, srcErrs ...error) {
		for _, err := range srcErrs {
			if err != nil {
				errs = append(errs, err)
			}
		}
		for _, a := range src {
			s := l.byName[a.name]
			if err := s.set(c, a.value); err != nil {
				errs = append(errs, l.valueError(*s, a.source, a.value, err))
			}
			from[a.name] = a.source
		}
	}
	apply(file, fileErrs...)
	apply(env, envErrs...)
	apply(flags, flagErr)
	return from, errs, nil
}

// last is the assignment to the setting called name in the highest of the
// sources, given lowest first.
func last(name string, sources ...[]assignment) (assignment, bool) {
	var got assignment
	found := false
	for _, src := range sources {
		for _, a := range src {
			if a.name == name {
				got, found = a, true
			}
		}
	}
	return got, found
}

func (l *loader[C]) valueError(s setting[C], source, value string, err error) error {
	if s.secret {
		return fmt.Errorf("%s (%s): bad value: %w", s.name, source, err)
	}
	return fmt.Errorf("%s (%s): bad value %q: %w", s.name, source, hideUserinfo(value), err)
}

// hideUserinfo masks the user:password of a URL inside v, so that a value
// refused for carrying credentials does not carry them into the logs.
func hideUserinfo(v string) string {
	i := strings.Index(v, "://")
	if i < 0 {
		return v
	}
	authority := v[i+3:]
	if end := strings.IndexAny(authority, "/?#"); end >= 0 {
		authority = authority[:end]
	}
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return v
	}
	return v[:i+3] + "REDACTED" + v[i+3+at:]
}

// parseFlags records the flags in args without applying them, so that
// they can be applied after the file and the environment. A value is only
// recorded here; it is checked when applied, so that one bad value does
// not hide the others.
func (l *loader[C]) parseFlags(args []string) ([]assignment, error) {
	fs := flag.NewFlagSet(l.command, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned, usage is ours
	fs.Usage = func() {}
	var got []assignment
	for _, s := range l.table {
		record := func(v string) error {
			got = append(got, assignment{name: s.name, value: v, source: "flag --" + s.name})
			return nil
		}
		if s.kind == kindBool {
			fs.BoolFunc(s.name, s.help, record)
		} else {
			fs.Func(s.name, s.help, record)
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return got, fmt.Errorf("command line: %w", err)
	}
	if fs.NArg() > 0 {
		extra := fs.Arg(0)
		hint := ""
		if _, err := strconv.ParseBool(extra); err == nil {
			hint = " (a boolean flag takes its value as --flag=" + extra + ")"
		}
		return got, fmt.Errorf("command line: unexpected argument %q%s", extra, hint)
	}
	return got, nil
}

// scanEnv picks the HAVEN_* variables out of environ. Every HAVEN_*
// variable must name a setting: a misspelt one would otherwise be ignored
// in silence. An empty variable counts as unset, so that a templated
// deployment can leave one blank. As with os.Getenv, the first of repeated
// entries wins.
func (l *loader[C]) scanEnv(environ []string) ([]assignment, []error) {
	var got []assignment
	var errs []error
	seen := make(map[string]bool)
	for _, kv := range environ {
		key, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(key, envPrefix) || seen[key] {
			continue
		}
		seen[key] = true
		s, known := l.byEnv[key]
		if !known {
			errs = append(errs, fmt.Errorf("env %s: unknown setting%s", key, l.suggest(key, envName)))
			continue
		}
		if value == "" {
			continue
		}
		got = append(got, assignment{name: s.name, value: value, source: "env " + key})
	}
	return got, errs
}

// readFile reads the TOML file named by cfg, the config setting's value.
// Each top-level key must name a setting and have a TOML type that suits
// the setting's kind; the value is turned back into text and parsed by
// the setting like any other.
func (l *loader[C]) readFile(cfg assignment) ([]assignment, []error) {
	path := cfg.value
	source := "file " + path
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, []error{fmt.Errorf("%s (%s): %w", configName, cfg.source, err)}
	}
	var raw map[string]toml.Primitive
	md, err := toml.Decode(string(data), &raw)
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return nil, []error{fmt.Errorf("%s: line %d: %s", source, perr.Position.Line, perr.Message)}
		}
		return nil, []error{fmt.Errorf("%s: %w", source, err)}
	}

	// Each top-level key is checked here rather than through
	// md.Undecoded: decoding into Primitive values marks the top-level
	// keys decoded, so Undecoded would only list keys nested in tables.
	var got []assignment
	var errs []error
	for _, key := range md.Keys() {
		if len(key) != 1 {
			continue // inside a table; the table itself is reported
		}
		name := key[0]
		s, known := l.byName[name]
		switch {
		case !known:
			errs = append(errs, fmt.Errorf("%s: unknown setting %q%s", source, name,
				l.suggest(name, func(n string) string { return n })))
			continue
		case name == configName:
			errs = append(errs, fmt.Errorf("%s (%s): can only be given as --%s or %s, not inside the file",
				name, source, configName, envName(configName)))
			continue
		}
		v, err := fileValue(&md, raw[name], s.kind, md.Type(name))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s (%s): %w", name, source, err))
			continue
		}
		got = append(got, assignment{name: name, value: v, source: source})
	}
	return got, errs
}

// fileValue checks that a TOML value of type typ suits kind k and returns
// it as the text a flag would carry.
func fileValue(md *toml.MetaData, p toml.Primitive, k kind, typ string) (string, error) {
	switch {
	case typ == "String" && (k == kindString || k == kindDuration || k == kindSize || k == kindList):
		var s string
		err := md.PrimitiveDecode(p, &s)
		return s, err
	case typ == "Integer" && (k == kindInt || k == kindFloat || k == kindSize):
		var n int64
		err := md.PrimitiveDecode(p, &n)
		return strconv.FormatInt(n, 10), err
	case typ == "Float" && k == kindFloat:
		var f float64
		err := md.PrimitiveDecode(p, &f)
		return strconv.FormatFloat(f, 'g', -1, 64), err
	case typ == "Bool" && k == kindBool:
		var b bool
		err := md.PrimitiveDecode(p, &b)
		return strconv.FormatBool(b), err
	case typ == "Array" && k == kindList:
		var list []string
		if err := md.PrimitiveDecode(p, &list); err != nil {
			return "", fmt.Errorf("want %s", kindTOML[k])
		}
		for _, item := range list {
			if strings.Contains(item, ",") {
				return "", fmt.Errorf("array item %q contains a comma", item)
			}
		}
		return strings.Join(list, ","), nil
	}
	return "", fmt.Errorf("want %s, not a TOML %s", kindTOML[k], strings.ToLower(typ))
}

// kindTOML says which TOML values each kind accepts, for errors.
var kindTOML = map[kind]string{
	kindString:   "a string",
	kindInt:      "an integer",
	kindFloat:    "a number",
	kindBool:     "true or false",
	kindDuration: `a duration string such as "15s"`,
	kindSize:     `a byte count or a size string such as "1MiB"`,
	kindList:     "a comma-separated string or an array of strings",
}

// suggest returns ` (did you mean X?)` when a known setting, shown through
// show, is within a small edit distance of got, and "" otherwise.
func (l *loader[C]) suggest(got string, show func(string) string) string {
	best, bestDist := "", 3 // farther than 2 edits is not a typo
	for _, s := range l.table {
		if d := editDistance(got, show(s.name)); d < bestDist {
			best, bestDist = show(s.name), d
		}
	}
	if best == "" {
		return ""
	}
	return " (did you mean " + best + "?)"
}

// editDistance is the Levenshtein distance between a and b, in bytes
// (setting names are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// usage writes the help text: every setting with its value placeholder,
// help, default and environment variable.
func (l *loader[C]) usage(w io.Writer) {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s [flags]\n\n%s\n\n", l.command, l.summary)
	fmt.Fprintf(&b, "Each setting is taken from, lowest precedence first: its default, the TOML\n"+
		"file named by --%s (keys are the flag names), its %s* environment\n"+
		"variable (empty counts as unset), its flag. Unknown flags, keys and %s*\n"+
		"variables are errors.\n\nSettings:\n", configName, envPrefix, envPrefix)
	for _, s := range l.table {
		fmt.Fprintf(&b, "  --%s", s.name)
		if s.kind != kindBool {
			fmt.Fprintf(&b, " %s", s.arg)
		}
		fmt.Fprintf(&b, "\n      %s\n", s.help)
		def := s.def
		if s.defNote != "" {
			def = s.defNote
		}
		if def == "" {
			def = "none"
		}
		fmt.Fprintf(&b, "      default: %s; env: %s", def, envName(s.name))
		if s.name == configName {
			b.WriteString("; not allowed in the file")
		}
		b.WriteString("\n")
	}
	io.WriteString(w, b.String())
}
