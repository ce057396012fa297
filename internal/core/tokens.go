// Session tokens, login codes and their hashes: the server-side secrets that
// authenticate people. (Secret chats, end to end, live in package e2ee.)

package core

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
)

// tokenBytes is the entropy of session and login tokens: 256 bits.
const tokenBytes = 32

// tokenPrefix marks Haven tokens so that secret scanners can find leaked
// ones; it carries no meaning for the server.
const tokenPrefix = "hvn_"

// newToken returns a fresh bearer token and the hash the server keeps.
func (s *Service) newToken() (token string, hash []byte, err error) {
	var b [tokenBytes]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		return "", nil, fmt.Errorf("reading randomness: %w", err)
	}
	token = tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return token, hashToken(token), nil
}

// hashToken is what the store keeps of a token: its SHA-256, enough for a
// 256-bit random secret (no salt or stretching needed).
func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// wellFormedToken rejects what cannot be a token before any lookup.
func wellFormedToken(token string) bool {
	if !strings.HasPrefix(token, tokenPrefix) {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(token[len(tokenPrefix):])
	return err == nil && len(b) == tokenBytes
}

// newCode returns a uniformly random decimal code of n digits.
func (s *Service) newCode(n int) (string, error) {
	limit := uint64(1)
	for range n {
		limit *= 10
	}
	// Rejection sampling keeps every code equally likely.
	max := ^uint64(0) - (^uint64(0) % limit)
	var b [8]byte
	for {
		if _, err := io.ReadFull(s.rand, b[:]); err != nil {
			return "", fmt.Errorf("reading randomness: %w", err)
		}
		v := binary.BigEndian.Uint64(b[:])
		if v < max {
			return fmt.Sprintf("%0*d", n, v%limit), nil
		}
	}
}

// codeHash is what the store keeps of a one-time code: an HMAC under the
// server's secret, bound to the attempt it belongs to. Without the secret
// a stolen database does not reveal codes, even though there are only
// 100,000 of them.
func (s *Service) codeHash(attemptTokenHash []byte, purpose, code string) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write(attemptTokenHash)
	m.Write([]byte{0})
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(code))
	return m.Sum(nil)
}

// codeMatches compares in constant time.
func (s *Service) codeMatches(attemptTokenHash []byte, purpose, code string, stored []byte) bool {
	return hmac.Equal(s.codeHash(attemptTokenHash, purpose, code), stored)
}
