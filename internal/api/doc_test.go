package api

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// docPath is the API reference, relative to this package.
const docPath = "../../docs/api.md"

// docMethod is what docs/api.md says of one method.
type docMethod struct {
	name    string
	line    int               // of the "### name" heading
	auth    string            // "none", "session", or "" when missing
	noParam bool              // a "Parameters: none" line
	params  []docParam        // rows of the parameter table
	seen    map[string]string // which shaped lines were found ("Auth:", "Result:", "Errors:")
	lines   map[string]int    // line number of each shaped line
}

// docParam is one row of a method's parameter table.
type docParam struct {
	name, typ, required string
	line                int
}

// docErrorRow is one row of the Errors table.
type docErrorRow struct {
	code   string
	status int
	line   int
}

// docFile is docs/api.md as the test reads it.
type docFile struct {
	methods     []*docMethod
	strayMethod []int            // lines of method-like headings outside ## Methods
	errorLines  map[int][]string // every "Errors:" line → its backticked tokens
	errorTables int
	errorRows   []docErrorRow
	problems    []string // shape problems found while reading
}

const (
	docParamHeader = "| parameter | type | required | description |"
	docErrorHeader = "| code | HTTP status | meaning |"
)

var (
	docBackticked   = regexp.MustCompile("`([^`]*)`")
	docMethodLike   = regexp.MustCompile(`^[a-z][A-Za-z0-9]*\.[a-z][A-Za-z0-9]*$`)
	docLinkedCell   = regexp.MustCompile(`^\[([^\]]*)\]\([^)]*\)$`)
	docSeparatorRow = regexp.MustCompile(`^\|(\s*:?-+:?\s*\|)+$`)
)

// docCells splits a Markdown table row into trimmed cells.
func docCells(row string) []string {
	row = strings.TrimSpace(row)
	row = strings.TrimPrefix(row, "|")
	row = strings.TrimSuffix(row, "|")
	parts := strings.Split(row, "|")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return parts
}

// docPlain strips backticks and a Markdown link from a cell.
func docPlain(cell string) string {
	cell = strings.TrimSpace(cell)
	if m := docLinkedCell.FindStringSubmatch(cell); m != nil {
		cell = m[1]
	}
	return strings.Trim(cell, "`")
}

// docHeadingLevel returns the level of a Markdown ATX heading, or 0.
func docHeadingLevel(line string) (int, string) {
	n := 0
	for n < len(line) && line[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || n == len(line) || line[n] != ' ' {
		return 0, ""
	}
	return n, strings.TrimSpace(line[n+1:])
}

// readDoc parses docs/api.md.
func readDoc(text string) *docFile {
	d := &docFile{errorLines: make(map[int][]string)}
	lines := strings.Split(text, "\n")
	inMethods, inFence := false, false
	var cur *docMethod
	table := "" // "param" or "error" while inside such a table
	for i, raw := range lines {
		n := i + 1
		line := strings.TrimRight(raw, " \t\r")
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
			table = ""
			continue
		}
		if inFence {
			continue
		}
		if level, title := docHeadingLevel(line); level > 0 {
			table = ""
			if level <= 3 {
				cur = nil
			}
			if level <= 2 {
				inMethods = level == 2 && title == "Methods"
			}
			if level == 3 {
				name := docPlain(title)
				switch {
				case inMethods:
					cur = &docMethod{name: name, line: n, seen: map[string]string{}, lines: map[string]int{}}
					d.methods = append(d.methods, cur)
				case docMethodLike.MatchString(name):
					d.strayMethod = append(d.strayMethod, n)
				}
			}
			continue
		}
		if strings.HasPrefix(line, "Errors:") {
			var toks []string
			for _, m := range docBackticked.FindAllStringSubmatch(line, -1) {
				toks = append(toks, m[1])
			}
			d.errorLines[n] = toks
		}
		switch {
		case line == docErrorHeader:
			d.errorTables++
			table = "error"
			continue
		case cur != nil && line == docParamHeader:
			if len(cur.params) > 0 || cur.lines["table"] != 0 {
				d.problems = append(d.problems, fmt.Sprintf("line %d: ### %s has a second parameter table; keep one", n, cur.name))
			}
			cur.lines["table"] = n
			table = "param"
			continue
		case table != "" && strings.HasPrefix(line, "|"):
			if docSeparatorRow.MatchString(strings.ReplaceAll(line, " ", "")) {
				continue
			}
			c := docCells(line)
			if table == "error" {
				if len(c) != 3 {
					d.problems = append(d.problems, fmt.Sprintf("line %d: an Errors table row needs 3 cells (code | HTTP status | meaning), has %d", n, len(c)))
					continue
				}
				status, err := strconv.Atoi(strings.Fields(c[1] + " x")[0])
				if err != nil {
					d.problems = append(d.problems, fmt.Sprintf("line %d: the HTTP status of %s must start with a number, not %q", n, docPlain(c[0]), c[1]))
				}
				d.errorRows = append(d.errorRows, docErrorRow{code: docPlain(c[0]), status: status, line: n})
				continue
			}
			if len(c) != 4 {
				d.problems = append(d.problems, fmt.Sprintf("line %d: a parameter row of ### %s needs 4 cells (parameter | type | required | description), has %d", n, cur.name, len(c)))
				continue
			}
			cur.params = append(cur.params, docParam{name: docPlain(c[0]), typ: docPlain(c[1]), required: docPlain(c[2]), line: n})
			continue
		}
		table = ""
		if cur == nil {
			continue
		}
		for _, key := range []string{"Auth:", "Parameters:", "Result:", "Errors:"} {
			if !strings.HasPrefix(line, key) {
				continue
			}
			if prev := cur.lines[key]; prev != 0 {
				d.problems = append(d.problems, fmt.Sprintf("line %d: ### %s has a second %q line (the first is on line %d); keep one", n, cur.name, key, prev))
			}
			cur.lines[key] = n
			value := strings.TrimSpace(strings.TrimPrefix(line, key))
			cur.seen[key] = value
			switch key {
			case "Auth:":
				cur.auth = value
			case "Parameters:":
				if value != "none" {
					d.problems = append(d.problems, fmt.Sprintf("line %d: ### %s: write exactly \"Parameters: none\", or a parameter table with the header %q", n, cur.name, docParamHeader))
				}
				cur.noParam = true
			}
		}
	}
	return d
}

// docJSONKind is the word a parameter's type cell must start with.
func docJSONKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	}
	return "object"
}

// TestDocsMatchMethodTable keeps docs/api.md true to the method table
// (methods.go) and the error table (errors.go).
func TestDocsMatchMethodTable(t *testing.T) {
	b, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatalf("reading the API reference: %v (docs/api.md must exist and document every method)", err)
	}
	d := readDoc(string(b))
	for _, p := range d.problems {
		t.Errorf("docs/api.md %s", p)
	}
	for _, n := range d.strayMethod {
		t.Errorf("docs/api.md line %d: a method heading outside \"## Methods\"; method sections belong under \"## Methods\" (other ### headings must not look like area.verb)", n)
	}

	table := (&Server{}).allMethods()
	if len(table) == 0 {
		t.Fatal("the method table is empty")
	}
	byName := make(map[string]*method, len(table))
	for _, m := range table {
		byName[m.name] = m
	}
	documented := make(map[string]*docMethod, len(d.methods))
	if len(d.methods) == 0 {
		t.Errorf("docs/api.md has no method sections: add a \"## Methods\" heading with one \"### area.verb\" section per method")
	}
	for _, dm := range d.methods {
		if prev, ok := documented[dm.name]; ok {
			t.Errorf("docs/api.md line %d: ### %s is documented twice (also on line %d); remove one section", dm.line, dm.name, prev.line)
			continue
		}
		documented[dm.name] = dm
		if _, ok := byName[dm.name]; !ok {
			t.Errorf("docs/api.md line %d: ### %s names no method of the method table (internal/api/methods.go); fix the name or remove the section", dm.line, dm.name)
		}
	}

	for _, m := range table {
		dm, ok := documented[m.name]
		if !ok {
			t.Errorf("docs/api.md: method %s (internal/api/methods.go) has no section; add \"### %s\" under \"## Methods\" with a description, an Auth line, its parameters, a Result line and an Errors line", m.name, m.name)
			continue
		}
		checkDocAuth(t, m, dm)
		checkDocParams(t, m, dm)
		for _, key := range []string{"Result:", "Errors:"} {
			if _, ok := dm.seen[key]; !ok {
				t.Errorf("docs/api.md line %d: ### %s has no %q line; add one (for Errors with nothing specific, write \"Errors: none beyond the common ones.\")", dm.line, m.name, key)
			}
		}
	}

	// Every code named on an Errors: line must exist.
	errLines := make([]int, 0, len(d.errorLines))
	for n := range d.errorLines {
		errLines = append(errLines, n)
	}
	slices.Sort(errLines)
	for _, n := range errLines {
		for _, tok := range d.errorLines[n] {
			if _, ok := statusOf[tok]; !ok {
				t.Errorf("docs/api.md line %d: `%s` on an Errors line is not an error code of internal/api/errors.go (statusOf); fix the code, or add it to package haven and statusOf first", n, tok)
			}
		}
	}

	checkDocErrorTable(t, d)
}

func checkDocAuth(t *testing.T, m *method, dm *docMethod) {
	t.Helper()
	want := "none"
	if m.auth {
		want = "session"
	}
	switch dm.auth {
	case want:
	case "":
		t.Errorf("docs/api.md line %d: ### %s has no Auth line; add \"Auth: %s\"", dm.line, m.name, want)
	default:
		t.Errorf("docs/api.md line %d: ### %s says \"Auth: %s\" but the method table has auth=%v; write \"Auth: %s\"", dm.lines["Auth:"], m.name, dm.auth, m.auth, want)
	}
}

func checkDocParams(t *testing.T, m *method, dm *docMethod) {
	t.Helper()
	names := paramNames(m.params)
	if len(names) == 0 {
		if !dm.noParam {
			t.Errorf("docs/api.md line %d: %s takes no parameters; write the line \"Parameters: none\" in its section", dm.line, m.name)
		}
		if n := dm.lines["table"]; n != 0 {
			t.Errorf("docs/api.md line %d: %s takes no parameters; remove its parameter table (keep \"Parameters: none\")", n, m.name)
		}
		return
	}
	if dm.noParam {
		t.Errorf("docs/api.md line %d: %s takes parameters %s but its section says \"Parameters: none\"; replace that line with a table headed %q", dm.lines["Parameters:"], m.name, strings.Join(names, ", "), docParamHeader)
		return
	}
	if dm.lines["table"] == 0 {
		t.Errorf("docs/api.md line %d: ### %s has no parameter table; add one headed %q with rows for %s", dm.line, m.name, docParamHeader, strings.Join(names, ", "))
		return
	}
	fields := make(map[string]reflect.StructField, len(names))
	for _, f := range wireFields(m.params) {
		fields[jsonName(f)] = f
	}
	rows := make(map[string]docParam, len(dm.params))
	for _, p := range dm.params {
		if prev, ok := rows[p.name]; ok {
			t.Errorf("docs/api.md line %d: %s documents parameter %s twice (also on line %d); remove one row", p.line, m.name, p.name, prev.line)
			continue
		}
		rows[p.name] = p
		f, ok := fields[p.name]
		if !ok {
			t.Errorf("docs/api.md line %d: %s has no parameter %q (its params struct %s has %s); fix or remove the row", p.line, m.name, p.name, m.params.Name(), strings.Join(names, ", "))
			continue
		}
		if want := docJSONKind(f.Type); !strings.HasPrefix(p.typ, want) {
			t.Errorf("docs/api.md line %d: parameter %s of %s is documented as %q but is a JSON %s; make the type cell start with %q", p.line, p.name, m.name, p.typ, want, want)
		}
		wantReq := "no"
		if f.Tag.Get("required") == "true" {
			wantReq = "yes"
		}
		if p.required != wantReq {
			t.Errorf("docs/api.md line %d: parameter %s of %s has required %q but the params struct says %q; write %q", p.line, p.name, m.name, p.required, wantReq, wantReq)
		}
	}
	for _, name := range names {
		if _, ok := rows[name]; !ok {
			t.Errorf("docs/api.md line %d: %s takes parameter %q (json name in %s) but its table has no row for it; add one", dm.lines["table"], m.name, name, m.params.Name())
		}
	}
}

func checkDocErrorTable(t *testing.T, d *docFile) {
	t.Helper()
	switch d.errorTables {
	case 0:
		t.Errorf("docs/api.md has no error table; add one under \"## Errors\" headed %q with a row for every code of statusOf (internal/api/errors.go)", docErrorHeader)
		return
	case 1:
	default:
		t.Errorf("docs/api.md has %d tables headed %q; keep one", d.errorTables, docErrorHeader)
	}
	rows := make(map[string]docErrorRow, len(d.errorRows))
	for _, r := range d.errorRows {
		if prev, ok := rows[r.code]; ok {
			t.Errorf("docs/api.md line %d: code %s is in the Errors table twice (also on line %d); remove one row", r.line, r.code, prev.line)
			continue
		}
		rows[r.code] = r
		want, ok := statusOf[r.code]
		if !ok {
			t.Errorf("docs/api.md line %d: the Errors table lists %s, which is not in statusOf (internal/api/errors.go); fix the code or remove the row", r.line, r.code)
			continue
		}
		if r.status != want {
			t.Errorf("docs/api.md line %d: the Errors table gives %s status %d, statusOf says %d; write %d", r.line, r.code, r.status, want, want)
		}
	}
	codes := make([]string, 0, len(statusOf))
	for c := range statusOf {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for _, c := range codes {
		if _, ok := rows[c]; !ok {
			t.Errorf("docs/api.md: the Errors table has no row for %s; add \"| `%s` | %d | ... |\"", c, c, statusOf[c])
		}
	}
}
