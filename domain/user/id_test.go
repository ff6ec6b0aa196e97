package user_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/userservice/userservice/domain/user"
)

func TestParseIDAccepts(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"},
		{"0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"},
		{"0190a1B2-c3D4-7e5F-8A9b-0c1D2e3F4a5B", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"},
		{"00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000000"},
		{"FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", "ffffffff-ffff-ffff-ffff-ffffffffffff"},
		{"123e4567-e89b-12d3-a456-426614174000", "123e4567-e89b-12d3-a456-426614174000"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			id, err := user.ParseID(tt.in)
			if err != nil {
				t.Fatalf("ParseID: %v", err)
			}
			if got := id.String(); got != tt.want {
				t.Errorf("String = %q, want %q", got, tt.want)
			}
			again, err := user.ParseID(id.String())
			if err != nil || again != id {
				t.Errorf("ParseID(String()) = %v, %v; want %v", again, err, id)
			}
			if id.IsZero() != (tt.want == "00000000-0000-0000-0000-000000000000") {
				t.Errorf("IsZero = %t", id.IsZero())
			}
		})
	}
}

func TestParseIDRejects(t *testing.T) {
	valid := "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
	for _, in := range []string{
		"",
		"0190a1b2",
		valid[:35],
		valid + "0",
		valid + "\n",
		" " + valid[1:],
		"0190a1b2c3d47e5f8a9b0c1d2e3f4a5b",          // no dashes
		"0190a1b2c-3d4-7e5f-8a9b-0c1d2e3f4a5b",      // dash moved
		"0190a1b2-c3d4-7e5f-8a9b0-c1d2e3f4a5b",      // dash moved
		"0190a1b2_c3d4_7e5f_8a9b_0c1d2e3f4a5b",      // underscores
		"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5g",      // not hex
		"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a-b",      // dash in the last group
		"+190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",      // sign
		"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4aé",       // 36 bytes, not hex
		"{0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b}",    // braces
		"urn:uuid:0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f", // URN prefix
		"------------------------------------",
		"0190a1b20c3d4-7e5f-8a9b-0c1d2e3f4a5b", // first dash replaced by a digit
		"0190a1b2-c3d407e5f-8a9b-0c1d2e3f4a5b", // second dash replaced by a digit
		"0190a1b2-c3d4-7e5f08a9b-0c1d2e3f4a5b", // third dash replaced by a digit
		"0190a1b2-c3d4-7e5f-8a9b00c1d2e3f4a5b", // fourth dash replaced by a digit
	} {
		t.Run(in, func(t *testing.T) {
			id, err := user.ParseID(in)
			if !errors.Is(err, user.ErrInvalidID) {
				t.Errorf("ParseID error = %v, want ErrInvalidID", err)
			}
			if !id.IsZero() {
				t.Errorf("ParseID returned %s with an error, want the zero ID", id)
			}
		})
	}
}

// FuzzParseID: whatever parses prints as its lower-case self and parses back.
func FuzzParseID(f *testing.F) {
	f.Add("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
	f.Add("0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B")
	f.Add("not-an-id")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := user.ParseID(s)
		if err != nil {
			return
		}
		if got := id.String(); got != strings.ToLower(s) {
			t.Errorf("ParseID(%q).String() = %q", s, got)
		}
		if again, err := user.ParseID(id.String()); err != nil || again != id {
			t.Errorf("ParseID(%q) = %v, %v; want %v", id.String(), again, err, id)
		}
	})
}
