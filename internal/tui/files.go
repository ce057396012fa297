package tui

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/havenchat/haven/client"
	"github.com/havenchat/haven/internal/msgtext"
)

// askSendFile sends a file to the open chat. Text waiting in the compose
// box is never turned into a caption silently: the person says whether
// it goes as the caption, as its own message, or stays in the box.
func (m *model) askSendFile(path string) tea.Cmd {
	text := strings.TrimSpace(m.compose.Value())
	if text == "" {
		return m.sendFile(path, "", false)
	}
	m.overlay = &choiceOverlay{
		question: fmt.Sprintf("You have written %q: send it as the file's (c)aption, as its (o)wn message after the file, or (k)eep it here?", msgtext.OneLine(text)),
		choices: map[string]func() tea.Cmd{
			"c": func() tea.Cmd { return m.sendFile(path, text, false) },
			"o": func() tea.Cmd { return m.sendFile(path, text, true) },
			"k": func() tea.Cmd { return m.sendFile(path, "", false) },
		},
	}
	return nil
}

// sendFile uploads path and sends it to the open chat as a document (a
// photo when it is an image the server can take as one), with text as
// its caption, or, with separate, as a message of its own after it. The
// compose box is emptied of text once it is sent.
func (m *model) sendFile(path, text string, separate bool) tea.Cmd {
	if m.chat == nil {
		return nil
	}
	if m.chat.id == 0 {
		m.say("Write a first message to start this chat, then send files")
		return nil
	}
	chatID := m.chat.id
	caption := text
	if separate {
		caption = ""
	}
	path = expandHome(path)
	m.say("Uploading " + filepath.Base(path) + "…")
	return func() tea.Msg {
		f, err := os.Open(path)
		if err != nil {
			return errMsg{err}
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return errMsg{err}
		}
		if st.IsDir() {
			return errMsg{fmt.Errorf("%s is a directory", path)}
		}
		file, err := m.c.UploadFile(m.ctx, f, st.Size(), st.Name())
		if err != nil {
			return errMsg{err}
		}
		kind := "document"
		switch strings.ToLower(filepath.Ext(path)) {
		case ".jpg", ".jpeg", ".png":
			kind = "photo"
		}
		ctx, cancel := context.WithTimeout(m.ctx, callTimeout)
		defer cancel()
		msg, err := m.c.SendMedia(ctx, &client.MediaParams{ChatID: chatID, Kind: kind, FileID: file.ID, Caption: caption})
		if err != nil && kind == "photo" {
			msg, err = m.c.SendMedia(ctx, &client.MediaParams{ChatID: chatID, Kind: "document", FileID: file.ID, Caption: caption})
		}
		if err != nil {
			return errMsg{err}
		}
		out := batchMsg{sentMsg{chatID: chatID, msg: *msg}}
		done := "Sent " + st.Name()
		switch {
		case text != "" && separate:
			tm, err := m.c.Send(ctx, &client.SendParams{ChatID: chatID, Text: text})
			if err != nil {
				return batchMsg{out[0], errMsg{err}}
			}
			out = append(out, sentMsg{chatID: chatID, msg: *tm}, clearComposeMsg{})
			done += ", then your text as a message"
		case text != "":
			out = append(out, clearComposeMsg{})
			done += " with your text as its caption"
		}
		return append(out, noticeMsg(done))
	}
}

// clearComposeMsg empties the compose box: its text was sent.
type clearComposeMsg struct{}

// saveName is where a file is offered to be saved: its name, in the
// current directory, made free (see freeName). The name comes from
// someone else, so only its last element counts (it cannot point
// elsewhere) and its control characters are shown inert.
func saveName(md client.Media) string {
	name := msgtext.OneLine(filepath.Base(md.Name))
	if name == "." || name == "/" || name == ".." || name == "" {
		name = fmt.Sprintf("file-%d", md.FileID)
	}
	return freeName(name)
}

// freeName is path if nothing is there, or else the first free
// "name (1).ext", "name (2).ext"…: a saved file never replaces one.
func freeName(path string) string {
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		return path
	}
	ext := filepath.Ext(path)
	stem := strings.TrimSuffix(path, ext)
	for i := 1; ; i++ {
		p := fmt.Sprintf("%s (%d)%s", stem, i, ext)
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			return p
		}
	}
}

// download saves a message's file to path, or, when something is there
// already, to the first free name beside it (see freeName), and says
// which. The name is taken (O_EXCL) before the download starts, so two
// downloads never write one file; the bytes go to a ".part" file that
// replaces the taken name when complete.
func (m *model) download(md client.Media, path string) tea.Cmd {
	path = expandHome(path)
	m.say("Downloading " + msgtext.OneLine(md.Name) + "…")
	return func() tea.Msg {
		final, err := m.fetchTo(md, path)
		if err != nil {
			return errMsg{err}
		}
		note := fmt.Sprintf("Saved %s (%s)", final, humanSize(md.Size))
		if final != path {
			note += fmt.Sprintf(": %s was there already", filepath.Base(path))
		}
		return noticeMsg(note)
	}
}

// fetchTo downloads md to path or the first free name beside it, and
// returns where it went.
func (m *model) fetchTo(md client.Media, path string) (string, error) {
	var taken *os.File
	final := path
	for {
		f, err := os.OpenFile(final, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			taken = f
			break
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", err
		}
		final = freeName(path)
	}
	taken.Close()
	tmp := final + ".part"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err == nil {
		_, err = m.c.Download(m.ctx, md.FileID, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err == nil {
		err = os.Rename(tmp, final)
	}
	if err != nil {
		os.Remove(tmp)
		os.Remove(final)
		return "", err
	}
	return final, nil
}

// openerEnv names the program that opens files, instead of the
// system's viewer (xdg-open, or open on macOS): a person's choice, or a
// test's script.
const openerEnv = "HAVEN_OPEN"

// openFile downloads a message's file into a private temporary folder
// and opens it with the system's viewer.
func (m *model) openFile(md client.Media) tea.Cmd {
	opener := os.Getenv(openerEnv)
	if opener == "" {
		opener = "xdg-open"
		if runtime.GOOS == "darwin" {
			opener = "open"
		}
	}
	m.say("Opening " + msgtext.OneLine(md.Name) + "…")
	return func() tea.Msg {
		dir, err := os.MkdirTemp("", "haven-open-")
		if err != nil {
			return errMsg{err}
		}
		name := filepath.Base(md.Name)
		if name == "." || name == "/" || name == ".." || name == "" {
			name = fmt.Sprintf("file-%d", md.FileID)
		}
		path, err := m.fetchTo(md, filepath.Join(dir, name))
		if err != nil {
			return errMsg{err}
		}
		// The viewer runs beside the app; its output would draw over it.
		cmd := exec.Command(opener, path)
		if err := cmd.Start(); err != nil {
			return errMsg{fmt.Errorf("opening %s with %s: %w (set %s to a viewer)", name, opener, err, openerEnv)}
		}
		go cmd.Wait()
		return noticeMsg("Opened " + msgtext.OneLine(name) + " with " + filepath.Base(opener))
	}
}
