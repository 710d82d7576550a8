package redisstore_test

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/internal/redistest"
	"github.com/checkoutkit/checkoutkit/tokencache/redisstore"
)

// stall freezes srv's redis-server with SIGSTOP: it still accepts
// connections (the kernel does) and answers nothing, until the test ends.
func stall(t *testing.T, srv *redistest.Server) {
	info, err := client(t, srv.Addr).Info(bg, "server").Result()
	require.NoError(t, err)
	var pid int
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "process_id:"); ok {
			pid, err = strconv.Atoi(v)
			require.NoError(t, err)
		}
	}
	require.NotZero(t, pid)
	require.NoError(t, syscall.Kill(pid, syscall.SIGSTOP))
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGCONT) })
}

// A replica that starts while one master is stalled has no slot map yet:
// each first call loads it from a random node, and a load that asks the
// stalled master first hangs. That is the stalled master's fault alone:
// once the map has loaded from a healthy node, keys on the healthy masters
// are shared, not put into a Store-wide cooldown. (The herd's keys are all
// on one healthy master, b: go-redis loads its command table once per
// client, from a random node too, and every command waits for that load;
// a hang there may cool b down. The test checks a key on the third
// master, c, once that load has moved on from the stalled node.)
func TestClusterStalledMasterAtStartupCostsOnlyItsKeys(t *testing.T) {
	for _, ctxTimeout := range []bool{false, true} {
		t.Run(fmt.Sprintf("ContextTimeoutEnabled=%v", ctxTimeout), func(t *testing.T) {
			cl := redistest.StartCluster(t, 3)
			admin := clusterClient(t, cl)
			stalled, b := cl.Masters[0], cl.Masters[1]
			var onB, onC []string
			for i := 0; len(onB) < 16 || len(onC) == 0; i++ {
				k := fmt.Sprint("key-", i)
				n, err := admin.MasterForKey(bg, tokKey(k))
				require.NoError(t, err)
				switch n.Options().Addr {
				case b.Addr:
					onB = append(onB, k)
				case stalled.Addr:
				default:
					onC = append(onC, k)
				}
			}
			stall(t, stalled)

			const readTimeout = 2 * time.Second
			var stores []*redisstore.Store
			var wg sync.WaitGroup
			for range 4 { // replicas starting together, each with a fresh client: no slot map yet
				rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cl.Addrs(), DialTimeout: 200 * time.Millisecond,
					ReadTimeout: readTimeout, MaxRetries: -1, ContextTimeoutEnabled: ctxTimeout})
				t.Cleanup(func() { rdb.Close() })
				st := mustStore(t, rdb, redisstore.WithTimeout(500*time.Millisecond), redisstore.WithCooldown(time.Minute))
				stores = append(stores, st)
				for _, k := range onB {
					wg.Add(1)
					go func() { defer wg.Done(); _, _, _ = st.Load(bg, k) }()
				}
			}
			wg.Wait()
			time.Sleep(2 * readTimeout) // go-redis has moved on from the stalled node
			for i, st := range stores {
				_, _, err := st.Load(bg, onC[0])
				assert.NoError(t, err, "replica %d: a key on a healthy master is shared while another master is stalled", i)
			}
		})
	}
}
