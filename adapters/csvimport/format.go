package csvimport

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/userservice/userservice/app/command"
)

// DefaultMaxBytes is the largest file Format accepts when Config.MaxBytes is zero.
const DefaultMaxBytes int64 = 256 << 20

// ErrTooLarge is returned for a file over Config.MaxBytes; it is a
// command.ErrInvalidImportFile.
var ErrTooLarge = fmt.Errorf("%w: the file is too large", command.ErrInvalidImportFile)

// Config configures a Format.
type Config struct {
	// MaxBytes caps an uploaded file. Default DefaultMaxBytes.
	MaxBytes int64
	// TempDir is not used any more: uploads stream into PostgreSQL as they
	// are read (see command.ImportStaging) instead of being spooled to disk.
	// Kept so that existing configurations still build.
	TempDir string
	// MaxFieldBytes and MaxRowBytes cap one field and one row, decoded.
	// Defaults DefaultMaxFieldBytes and DefaultMaxRowBytes.
	MaxFieldBytes, MaxRowBytes int
}

// Validate reports every invalid field at once.
func (c Config) Validate() error {
	var errs []error
	if c.MaxBytes < 0 {
		errs = append(errs, errors.New("csvimport: MaxBytes must not be negative"))
	}
	if c.MaxFieldBytes < 0 || c.MaxRowBytes < 0 {
		errs = append(errs, errors.New("csvimport: MaxFieldBytes and MaxRowBytes must not be negative"))
	}
	return errors.Join(errs...)
}

// Format opens CSV uploads: it is the command.ImportFormat of StartImport.
type Format struct{ cfg Config }

// NewFormat returns the format.
func NewFormat(cfg Config) (*Format, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	return &Format{cfg: cfg}, nil
}

// Open implements command.ImportFormat. It checks the header; the rows are
// then read from the body as they arrive (nothing is held or spooled), and
// a body over MaxBytes fails the read with ErrTooLarge.
func (f *Format) Open(ctx context.Context, body io.Reader, opts command.ImportOptions) (command.ImportFile, error) {
	r, err := newReader(&limitReader{r: ctxReader{ctx, body}, left: f.cfg.MaxBytes}, opts,
		ReaderConfig{MaxFieldBytes: f.cfg.MaxFieldBytes, MaxRowBytes: f.cfg.MaxRowBytes})
	if err != nil {
		return nil, err
	}
	return &streamed{reader: r}, nil
}

// streamed is an upload read once, as it arrives.
type streamed struct {
	reader *Reader
	read   bool
}

func (s *streamed) Rows() (command.RowReader, error) {
	if s.read {
		return nil, errors.New("csvimport: an upload's rows are read once")
	}
	s.read = true
	return s.reader, nil
}

func (s *streamed) Close() error { return nil }

// Header implements command.ImportFileHeader.
func (s *streamed) Header() []string { return s.reader.Header() }

// limitReader fails with ErrTooLarge once more than left bytes were read.
type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, ErrTooLarge
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, fmt.Errorf("%w: the limit was exceeded", ErrTooLarge)
	}
	return n, err
}

// ctxReader stops a long read when the request is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
