//go:build chaos

package chaos

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/google/uuid"
)

// balancer is the suite's load balancer in front of the apis: round robin,
// a backend that refused a connection skipped for a second. It never
// retries a request on another backend (a command may have been applied):
// the client sees 502 and retries with its Idempotency-Key, as behind a
// real balancer.
type balancer struct {
	url string

	mu       sync.Mutex
	backends []*url.URL
	down     map[int]time.Time
	next     int
}

func newBalancer(t *testing.T, bases []string) *balancer {
	t.Helper()
	b := &balancer{down: map[int]time.Time{}}
	for _, base := range bases {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		b.backends = append(b.backends, u)
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			i := b.pick()
			r.SetURL(b.backends[i])
			r.Out = r.Out.WithContext(context.WithValue(r.Out.Context(), chosen{}, i))
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			// r is the outgoing request: its context names the backend.
			if i, ok := r.Context().Value(chosen{}).(int); ok {
				b.mu.Lock()
				b.down[i] = time.Now().Add(time.Second)
				b.mu.Unlock()
			}
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	b.url = srv.URL
	return b
}

// pick is the next backend not marked down (any, if all are).
func (b *balancer) pick() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	for range b.backends {
		i := b.next % len(b.backends)
		b.next++
		if now.After(b.down[i]) {
			return i
		}
	}
	i := b.next % len(b.backends)
	b.next++
	return i
}

// chosen keys the backend's index in a proxied request's context.
type chosen struct{}

// clusterTopic creates the fleet's events topic on the cluster: four
// partitions, three replicas each (min.insync.replicas=2 from the brokers).
func clusterTopic(t *testing.T, brokers []string) string {
	t.Helper()
	topic := "scale-" + uuid.NewString()
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	admin, err := sarama.NewClusterAdmin(brokers, cfg)
	if err != nil {
		t.Fatalf("kafka admin on %v: %v", brokers, err)
	}
	defer admin.Close()
	if err := admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: shardCount, ReplicationFactor: 3}, false); err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
	return topic
}
