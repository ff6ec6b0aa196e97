package ops

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"
)

// ServerConfig configures NewServer.
type ServerConfig struct {
	// Addr is the listen address, host:port. Required.
	Addr string
	// Handler serves every request. Required.
	Handler http.Handler
	// ShutdownTimeout bounds how long in-flight requests may take to finish
	// once Run's context is cancelled. Default 20s.
	ShutdownTimeout time.Duration
	// Logger receives start and stop lines. Nil: no logging.
	Logger *zap.Logger
	// ReadHeaderTimeout cuts off a client that has not sent its headers in
	// time: the slow-header (slowloris) guard. Default DefaultReadHeaderTimeout.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included; it must
	// allow the largest upload. Default DefaultReadTimeout.
	ReadTimeout time.Duration
	// WriteTimeout bounds a request from the end of its headers to the end
	// of its answer. Default DefaultWriteTimeout.
	WriteTimeout time.Duration
	// IdleTimeout closes idle kept-alive connections. Default DefaultIdleTimeout.
	IdleTimeout time.Duration
}

// Defaults of the server timeouts: tight on headers (no legitimate client
// takes seconds to send them), loose on whole requests, which include CSV
// uploads of up to 256 MiB.
const (
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultReadTimeout       = 10 * time.Minute
	DefaultWriteTimeout      = 10 * time.Minute
	DefaultIdleTimeout       = 2 * time.Minute
)

func (c *ServerConfig) setDefaults() {
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 20 * time.Second
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&c.ReadHeaderTimeout, DefaultReadHeaderTimeout}, {&c.ReadTimeout, DefaultReadTimeout},
		{&c.WriteTimeout, DefaultWriteTimeout}, {&c.IdleTimeout, DefaultIdleTimeout}} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
}

// Validate reports every problem at once.
func (c ServerConfig) Validate() error {
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("ops server: Addr is empty"))
	}
	if c.Handler == nil {
		errs = append(errs, errors.New("ops server: Handler is nil"))
	}
	if c.ShutdownTimeout < 0 {
		errs = append(errs, fmt.Errorf("ops server: ShutdownTimeout must not be negative, got %s", c.ShutdownTimeout))
	}
	if c.ReadHeaderTimeout < 0 || c.ReadTimeout < 0 || c.WriteTimeout < 0 || c.IdleTimeout < 0 {
		errs = append(errs, errors.New("ops server: timeouts must not be negative"))
	}
	return errors.Join(errs...)
}

// Server is the api role's HTTP server.
type Server struct {
	srv      *http.Server
	listener net.Listener
	timeout  time.Duration
	log      *zap.Logger
	conns    connStates
}

// connStates knows which connections are serving a request. Shutdown waits
// for connections a client opened and never used (the net/http transport
// dials spares) as if they were busy, for up to 5 s: a deadline that cuts
// off only such connections cut off no request, and the shutdown was clean.
type connStates struct {
	mu     sync.Mutex
	active map[net.Conn]bool
}

func (c *connStates) track(conn net.Conn, state http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if state == http.StateActive {
		c.active[conn] = true
	} else {
		delete(c.active, conn)
	}
}

// busy is how many connections are serving a request.
func (c *connStates) busy() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.active)
}

// NewServer binds the listen address right away, so a taken port fails the
// start-up instead of a role later, and Addr reports the real port of ":0".
func NewServer(cfg ServerConfig) (*Server, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	s := &Server{
		srv: &http.Server{
			Handler:           cfg.Handler,
			ReadHeaderTimeout: cfg.ReadHeaderTimeout,
			ReadTimeout:       cfg.ReadTimeout,
			WriteTimeout:      cfg.WriteTimeout,
			IdleTimeout:       cfg.IdleTimeout,
			ErrorLog:          zap.NewStdLog(cfg.Logger.Named("http")),
		},
		listener: ln,
		timeout:  cfg.ShutdownTimeout,
		log:      cfg.Logger,
		conns:    connStates{active: map[net.Conn]bool{}},
	}
	s.srv.ConnState = s.conns.track
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// Run serves until ctx is cancelled, then stops accepting connections and
// waits up to the shutdown timeout for in-flight requests to finish. It
// returns nil after a clean shutdown.
func (s *Server) Run(ctx context.Context) error {
	served := make(chan error, 1)
	go func() { served <- s.srv.Serve(s.listener) }()
	s.log.Info("http server listening", zap.String("addr", s.Addr()))

	select {
	case err := <-served:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("http server shutting down", zap.Duration("timeout", s.timeout))
	// ctx is already cancelled: the shutdown needs its own deadline.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
	defer cancel()
	err := s.srv.Shutdown(sctx)
	if err != nil {
		// Requests still running past the deadline are cut off.
		busy := s.conns.busy()
		_ = s.srv.Close()
		if busy > 0 {
			err = fmt.Errorf("http server shutdown: %d requests cut off: %w", busy, err)
		} else {
			s.log.Info("http server shutdown: closed connections that never sent a request")
			err = nil
		}
	}
	if serveErr := <-served; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, fmt.Errorf("http server: %w", serveErr))
	}
	return err
}
