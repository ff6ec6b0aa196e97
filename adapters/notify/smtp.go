package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"time"

	"github.com/userservice/userservice/app/command"
)

// TLS modes of an SMTP connection.
const (
	TLSNone     = "none"
	TLSStartTLS = "starttls"
	TLSImplicit = "tls"
)

// SMTPConfig configures the e-mail sender.
type SMTPConfig struct {
	// Addr is the server, host:port. Required.
	Addr string
	// From is the sender address. Required.
	From string
	// Username and Password authenticate (PLAIN) when Username is set.
	Username, Password string
	// TLS is none, starttls or tls. Default starttls.
	TLS string
	// Timeout bounds one delivery. Default 30s.
	Timeout time.Duration
	// LinkBase is the service's public URL (PUBLIC_BASE_URL), to make the
	// message's link to the failures absolute; empty leaves it a path.
	LinkBase string
}

func (c *SMTPConfig) setDefaults() {
	if c.TLS == "" {
		c.TLS = TLSStartTLS
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
}

// Validate reports every invalid field at once.
func (c SMTPConfig) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("smtp: Addr %q is not host:port", c.Addr))
	}
	if a, err := mail.ParseAddress(c.From); err != nil || a.Address != c.From {
		errs = append(errs, fmt.Errorf("smtp: From %q is not an e-mail address", c.From))
	}
	if c.TLS != TLSNone && c.TLS != TLSStartTLS && c.TLS != TLSImplicit {
		errs = append(errs, fmt.Errorf("smtp: TLS %q: want none, starttls or tls", c.TLS))
	}
	if c.Timeout <= 0 {
		errs = append(errs, errors.New("smtp: Timeout must be positive"))
	}
	return errors.Join(errs...)
}

// SMTP sends notices by e-mail: it is the command.NoticeSender of ChannelEmail.
type SMTP struct{ cfg SMTPConfig }

// NewSMTP returns the sender.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &SMTP{cfg: cfg}, nil
}

// MaxRecipients is how many addresses a notice goes to; the settings
// refuse more (command.MaxNoticeEmails), and settings stored before that
// rule are cut to it here.
const MaxRecipients = command.MaxNoticeEmails

// Send implements command.NoticeSender: one message per recipient, on one
// connection, so no admin sees the others' addresses and one bad address
// cannot make the server refuse the message for all. A message's Message-ID
// is derived from the notice id and the recipient, so a notice sent again
// (a crash before it was recorded as sent) is recognisably the same message.
func (s *SMTP) Send(ctx context.Context, n command.Notice) error {
	if len(n.Emails) == 0 {
		return errors.New("smtp: the tenant has no notice recipients")
	}
	recipients := n.Emails[:min(len(n.Emails), MaxRecipients)]
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	c, err := s.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	for i, to := range recipients {
		if i > 0 {
			if err := c.Reset(); err != nil {
				return fmt.Errorf("smtp: RSET: %w", err)
			}
		}
		if err := s.sendOne(c, n, to); err != nil {
			return err
		}
	}
	return c.Quit()
}

// dial connects, secures and authenticates as configured.
func (s *SMTP) dial(ctx context.Context) (*smtp.Client, error) {
	host, _, _ := net.SplitHostPort(s.cfg.Addr)
	var (
		conn net.Conn
		err  error
	)
	if s.cfg.TLS == TLSImplicit {
		conn, err = (&tls.Dialer{Config: &tls.Config{ServerName: host}}).DialContext(ctx, "tcp", s.cfg.Addr)
	} else {
		conn, err = (&net.Dialer{}).DialContext(ctx, "tcp", s.cfg.Addr)
	}
	if err != nil {
		return nil, fmt.Errorf("smtp: connect: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("smtp: greeting: %w", err)
	}
	if s.cfg.TLS == TLSStartTLS {
		if err := c.StartTLS(&tls.Config{ServerName: host}); err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("smtp: STARTTLS: %w", err)
		}
	}
	if s.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, host)); err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("smtp: auth: %w", err)
		}
	}
	return c, nil
}

// sendOne sends the notice's message to one recipient.
func (s *SMTP) sendOne(c *smtp.Client, n command.Notice, to string) error {
	msg, err := s.message(n, to)
	if err != nil {
		return err
	}
	if err := c.Mail(s.cfg.From); err != nil {
		return fmt.Errorf("smtp: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("smtp: RCPT TO %s: %w", to, err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("smtp: write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: end of message: %w", err)
	}
	return nil
}

// message renders the notice for one recipient as an RFC 5322 message,
// quoted-printable UTF-8.
func (s *SMTP) message(n command.Notice, to string) ([]byte, error) {
	var b bytes.Buffer
	header := func(k, v string) {
		// Values come from validated settings and our own ids; stripping
		// line breaks still rules out header injection.
		fmt.Fprintf(&b, "%s: %s\r\n", k, strings.NewReplacer("\r", " ", "\n", " ").Replace(v))
	}
	header("From", s.cfg.From)
	header("To", to)
	header("Subject", mime.QEncoding.Encode("utf-8", subject(n)))
	header("Date", time.Now().UTC().Format(time.RFC1123Z))
	rcpt := sha256.Sum256([]byte(to))
	header("Message-ID", "<notice-"+n.ID+"."+hex.EncodeToString(rcpt[:6])+"@userservice>")
	header("X-Userservice-Job", n.Job.ID)
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(strings.ReplaceAll(text(n, s.cfg.LinkBase), "\n", "\r\n"))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
