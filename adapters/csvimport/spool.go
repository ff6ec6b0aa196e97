package csvimport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

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
	// TempDir is where uploads are spooled. Default os.TempDir().
	TempDir string
}

// Validate reports every invalid field at once.
func (c Config) Validate() error {
	if c.MaxBytes < 0 {
		return errors.New("csvimport: MaxBytes must not be negative")
	}
	return nil
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

// Open implements command.ImportFormat. The body is copied to a temporary
// file first (memory stays flat whatever the file's size, and a broken
// upload is found out before anything is queued); the header is checked.
func (f *Format) Open(ctx context.Context, body io.Reader, mapping map[string]string) (command.ImportFile, error) {
	tmp, err := os.CreateTemp(f.cfg.TempDir, "userservice-import-*.csv")
	if err != nil {
		return nil, fmt.Errorf("spool import: %w", err)
	}
	file := &spooled{path: tmp.Name(), mapping: mapping}
	n, err := io.Copy(tmp, io.LimitReader(ctxReader{ctx, body}, f.cfg.MaxBytes+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		err = fmt.Errorf("read upload: %w", err)
	case n > f.cfg.MaxBytes:
		err = fmt.Errorf("%w: the limit is %d bytes", ErrTooLarge, f.cfg.MaxBytes)
	default:
		_, err = file.Rows() // checks the header
	}
	if err != nil {
		return nil, errors.Join(err, file.Close())
	}
	return file, nil
}

// spooled is an upload on disk, read once per pass.
type spooled struct {
	path    string
	mapping map[string]string
	open    *os.File
}

func (s *spooled) Rows() (command.RowReader, error) {
	if s.open != nil {
		_ = s.open.Close() // the previous pass is over
	}
	f, err := os.Open(s.path)
	if err != nil {
		return nil, fmt.Errorf("open spooled import: %w", err)
	}
	s.open = f
	return NewReader(f, s.mapping)
}

func (s *spooled) Close() error {
	var err error
	if s.open != nil {
		err = s.open.Close()
	}
	if rerr := os.Remove(s.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		err = errors.Join(err, rerr)
	}
	return err
}

// ctxReader stops a long copy when the request is cancelled.
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
