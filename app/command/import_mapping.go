package command

import (
	"fmt"
	"strings"
)

// ImportMappingError says why a file's header, with the mapping and the
// derivations given, cannot create users: it is refused before any row is
// read or queued. Every list is sorted, so the same file and options give
// the same answer.
type ImportMappingError struct {
	// Header is the header as read (after decoding).
	Header []string
	// Matched are the import columns read, as "column=Header Name".
	Matched []string
	// Unmatched are the header names no import column reads.
	Unmatched []string
	// Problems say what is wrong, one sentence each.
	Problems []string
	// Suggestions are command-line options that would help, such as
	// `--map email="Work Email"` (over HTTP: the same as query parameters).
	Suggestions []string
}

func (e *ImportMappingError) Error() string {
	msg := strings.Join(e.Problems, "; ")
	if len(e.Suggestions) > 0 {
		msg += " (try " + strings.Join(e.Suggestions, " ") + ")"
	}
	return fmt.Sprintf("%s: %s", ErrInvalidImportFile, msg)
}

// Unwrap makes it an ErrInvalidImportFile.
func (e *ImportMappingError) Unwrap() error { return ErrInvalidImportFile }
