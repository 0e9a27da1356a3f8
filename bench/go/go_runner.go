// The comparison workloads (bench/savina/workloads.h) written idiomatically
// in Go: every actor is a goroutine that owns a channel (its mailbox) and
// loops over what arrives on it. One run per process, printing one JSON line
// in the format of the C++ runners (bench/savina/report.h) for
// bench/compare.py, which builds this file with `go build` (standard
// library only, no module, offline) and runs it with GOMAXPROCS = --threads:
//
//	go_runner --workload=ping_pong --size=1000000 --threads=2
//
// Go channels are bounded where actor mailboxes are not. Every mailbox here
// has room for kMailbox messages, more than any workload ever has queued
// for one actor except the printer of counter_printer and the workers of
// fork_join_throughput, where a full mailbox makes the sender wait (Go's
// back-pressure) instead of queueing without bound; each workload's count
// of messages is unchanged. Each workload verifies its result as its C++
// twin does; exit status 1 if it did not verify, 2 for bad flags. With
// --min-seconds=S the run repeats until its measured seconds add up to S
// (the runner protocol, bench/runner/runner.h).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

const kMailbox = 1024

type outcome struct {
	items   int64
	seconds float64
	ok      bool
	err     string
	extra   map[string]float64
}

func verify(o *outcome, correct bool, what string) {
	o.ok = correct
	if !correct {
		o.err = what
	}
}

// compute is Savina's per-message computation (report.h's bench::Compute).
//
//go:noinline
func compute(theta float64) float64 {
	s := math.Sin(theta)
	return s * s
}

// ---- counter_printer: items = 2n --------------------------------------------
// The counter sends each number to the printer and the next one to its own
// mailbox, as Beazley's counter does by name.

func counterPrinter(n int64) outcome {
	start := time.Now()
	printer := make(chan int64, kMailbox)
	counter := make(chan int64, kMailbox)
	sumDone := make(chan int64)
	go func() {
		var sum int64
		for v := range printer {
			sum += v
		}
		sumDone <- sum
	}()
	go func() {
		for v := range counter {
			if v == 0 {
				close(printer)
				return
			}
			printer <- v
			counter <- v - 1
		}
	}()
	counter <- n
	sum := <-sumDone
	o := outcome{items: 2 * n, seconds: time.Since(start).Seconds()}
	verify(&o, sum == n*(n+1)/2, "wrong sum")
	return o
}

// ---- ping_pong: items = n; the ball carries the mailbox to answer ------------

type ball struct {
	replyTo  chan ball
	hitsLeft int64 // -1: the game is over.
}

func pingPong(n int64) outcome {
	start := time.Now()
	var wg sync.WaitGroup
	hits := make([]int64, 2)
	player := func(self chan ball, hits *int64) {
		defer wg.Done()
		for b := range self {
			if b.hitsLeft < 0 {
				return
			}
			*hits++
			if b.hitsLeft == 0 {
				b.replyTo <- ball{self, -1}
				return
			}
			b.replyTo <- ball{self, b.hitsLeft - 1}
		}
	}
	ping, pong := make(chan ball, kMailbox), make(chan ball, kMailbox)
	wg.Add(2)
	go player(ping, &hits[0])
	go player(pong, &hits[1])
	ping <- ball{pong, n - 1}
	wg.Wait()
	o := outcome{items: n, seconds: time.Since(start).Seconds()}
	verify(&o, hits[0]+hits[1] == n, "wrong hit count")
	return o
}

// ---- counting: n increments, then a request for the total; items = n ------------

type countMsg struct {
	retrieve chan int64 // nil: an increment.
}

func counting(n int64) outcome {
	start := time.Now()
	counter := make(chan countMsg, kMailbox)
	go func() {
		var count int64
		for m := range counter {
			if m.retrieve == nil {
				count++
				continue
			}
			m.retrieve <- count
			return
		}
	}()
	result := make(chan int64, 1)
	for i := int64(0); i < n; i++ {
		counter <- countMsg{}
	}
	counter <- countMsg{retrieve: result}
	got := <-result
	o := outcome{items: n, seconds: time.Since(start).Seconds()}
	verify(&o, got == n, "wrong count")
	return o
}

// ---- thread_ring: 503 goroutines pass a token n hops; items = n ------------------
// A token is the hops left (>= 0); -(i + 1) is the stop lap node i starts.

const kRingSize = 503

func threadRing(n int64) outcome {
	start := time.Now()
	ring := make([]chan int64, kRingSize)
	for i := range ring {
		ring[i] = make(chan int64, kMailbox)
	}
	var wg sync.WaitGroup
	var hops int64 // The token is in one goroutine at a time.
	wg.Add(kRingSize)
	for i := 0; i < kRingSize; i++ {
		go func(index int) {
			defer wg.Done()
			nextIndex := (index + 1) % kRingSize
			next := ring[nextIndex]
			for token := range ring[index] {
				if token < 0 {
					if int64(nextIndex) != -token-1 {
						next <- token
					}
					return
				}
				hops++
				if token == 0 {
					next <- int64(-index - 1)
					return
				}
				next <- token - 1
			}
		}(i)
	}
	ring[0] <- n
	wg.Wait()
	o := outcome{items: n, seconds: time.Since(start).Seconds()}
	verify(&o, hops == n+1, "wrong hop count")
	return o
}

// ---- fork_join_throughput: 64 workers x m messages, one sine each; items = 64m ------

const kThroughputWorkers = 64

func forkJoinThroughput(m int64) outcome {
	start := time.Now()
	handled := make([]int64, kThroughputWorkers*8) // One cache line each.
	sinks := make([]float64, kThroughputWorkers*8)
	workers := make([]chan int64, kThroughputWorkers)
	var wg sync.WaitGroup
	wg.Add(kThroughputWorkers)
	for w := range workers {
		workers[w] = make(chan int64, kMailbox)
		go func(w int) {
			defer wg.Done()
			for handled[w*8] < m {
				v := <-workers[w]
				sinks[w*8] += compute(37.2 + float64(v%7))
				handled[w*8]++
			}
		}(w)
	}
	go func() { // The driver.
		for i := int64(0); i < m; i++ {
			for _, worker := range workers {
				worker <- i
			}
		}
	}()
	wg.Wait()
	var total int64
	for w := 0; w < kThroughputWorkers; w++ {
		total += handled[w*8]
	}
	o := outcome{items: kThroughputWorkers * m, seconds: time.Since(start).Seconds()}
	verify(&o, total == o.items, "wrong message count")
	return o
}

// ---- fork_join_creation: n goroutines, one message each; items = n ----------------

func forkJoinCreation(n int64) outcome {
	start := time.Now()
	done := make(chan int64, kMailbox)
	go func() { // The creator.
		for i := int64(0); i < n; i++ {
			mailbox := make(chan int64, 1)
			go func() {
				v := <-mailbox
				if compute(float64(v)) > -10 {
					done <- 1
				} else {
					done <- 0
				}
			}()
			mailbox <- i
		}
	}()
	var count int64
	for count < n {
		count += <-done
	}
	o := outcome{items: n, seconds: time.Since(start).Seconds()}
	verify(&o, count == n, "lost goroutines")
	return o
}

// ---- big: 256 goroutines ping random others, answering pongs ------------------------
// items = 2 * 256 * pings.

const kBigActors = 256

type bigMsg struct {
	kind byte        // 's'tart, 'p'ing, 'o' pong, 'x' exit.
	from chan bigMsg // For a ping.
}

func nextRandom(state *uint64) uint64 {
	*state ^= *state << 13
	*state ^= *state >> 7
	*state ^= *state << 17
	return *state
}

func big(pings int64) outcome {
	start := time.Now()
	everyone := make([]chan bigMsg, kBigActors)
	for a := range everyone {
		everyone[a] = make(chan bigMsg, kMailbox)
	}
	received := make([]int64, kBigActors*8)
	sink := make(chan int, kMailbox)
	var wg sync.WaitGroup
	wg.Add(kBigActors)
	for a := 0; a < kBigActors; a++ {
		go func(a int) {
			defer wg.Done()
			self := everyone[a]
			random := uint64(0x9E3779B97F4A7C15) * uint64(a+1)
			var pongs int64
			for m := range self {
				switch m.kind {
				case 'x':
					return
				case 'p':
					received[a*8]++
					m.from <- bigMsg{kind: 'o'}
					continue
				case 'o':
					received[a*8]++
					if pongs++; pongs == pings {
						sink <- 1
						continue
					}
				}
				// A start, or a pong that is not the last: the next ping.
				everyone[nextRandom(&random)%kBigActors] <- bigMsg{'p', self}
			}
		}(a)
	}
	for _, actor := range everyone {
		actor <- bigMsg{kind: 's'}
	}
	reports := 0
	for reports < kBigActors {
		reports += <-sink
	}
	for _, actor := range everyone {
		actor <- bigMsg{kind: 'x'}
	}
	wg.Wait()
	var total int64
	for a := 0; a < kBigActors; a++ {
		total += received[a*8]
	}
	o := outcome{items: 2 * kBigActors * pings, seconds: time.Since(start).Seconds()}
	verify(&o, total == o.items && reports == kBigActors, "wrong message count")
	return o
}

// ---- chameneos: 100 creatures meet through a mall; items = meetings ------------------

const kChameneos = 100

const (
	blue = iota
	red
	yellow
	faded
)

func complement(a, b int) int {
	if a == b {
		return a
	}
	if a == faded || b == faded {
		return faded
	}
	return 3 - a - b
}

type creatureMsg struct {
	kind  byte // 'm'eet, 'c'hange, 'x' exit.
	color int
	from  chan creatureMsg
}

type mallMsg struct {
	count    bool // A creature's final meeting count, not a request.
	color    int
	from     chan creatureMsg
	meetings int64
}

func chameneos(meetings int64) outcome {
	start := time.Now()
	mall := make(chan mallMsg, kMailbox)
	total := make(chan int64)
	go func() {
		left := meetings
		var waiting *mallMsg
		exited, sum := 0, int64(0)
		for m := range mall {
			switch {
			case m.count:
				sum += m.meetings
				if exited++; exited == kChameneos {
					total <- sum
					return
				}
			case left == 0:
				m.from <- creatureMsg{kind: 'x'}
			case waiting == nil:
				request := m
				waiting = &request
			default:
				left--
				waiting.from <- creatureMsg{'m', m.color, m.from}
				waiting = nil
			}
		}
	}()
	for c := 0; c < kChameneos; c++ {
		go func(color int) {
			self := make(chan creatureMsg, kMailbox)
			var met int64
			mall <- mallMsg{color: color, from: self}
			for m := range self {
				if m.kind == 'x' {
					break
				}
				if m.kind == 'm' {
					color = complement(color, m.color)
					m.from <- creatureMsg{kind: 'c', color: color}
				} else {
					color = m.color
				}
				met++
				mall <- mallMsg{color: color, from: self}
			}
			mall <- mallMsg{count: true, meetings: met}
		}(c % 3)
	}
	sum := <-total
	o := outcome{items: meetings, seconds: time.Since(start).Seconds()}
	// Every meeting is counted by both creatures.
	verify(&o, sum == 2*meetings, "wrong meeting count")
	return o
}

// ---- bounded_buffer: 16 producers, 16 consumers, a manager holding <= 64 ------------
// items = size rounded down to a multiple of 16.

const (
	kProducers      = 16
	kConsumers      = 16
	kBufferCapacity = 64
)

type managerMsg struct {
	kind  byte // 'd'ata, 'a'vailable consumer, 'x' producer exit.
	index int
	value int64
}

func boundedBuffer(size int64) outcome {
	start := time.Now()
	perProducer := size / kProducers
	total := perProducer * kProducers
	manager := make(chan managerMsg, kMailbox)
	producers := make([]chan struct{}, kProducers)
	consumers := make([]chan int64, kConsumers)
	consumed := make([]int64, kConsumers*8)
	sums := make([]int64, kConsumers*8)
	sinks := make([]float64, (kProducers+kConsumers)*8)
	var wg sync.WaitGroup
	wg.Add(kConsumers)
	for p := range producers {
		producers[p] = make(chan struct{}, kMailbox)
		go func(index int) {
			for made := int64(0); made < perProducer; made++ {
				<-producers[index]
				sinks[index*8] += compute(float64(made))
				manager <- managerMsg{'d', index, int64(index)*perProducer + made + 1}
			}
			<-producers[index] // The request for one more.
			manager <- managerMsg{kind: 'x', index: index}
		}(p)
	}
	for c := range consumers {
		consumers[c] = make(chan int64, kMailbox)
		go func(index int) {
			defer wg.Done()
			for v := range consumers[index] {
				if v < 0 {
					return
				}
				sinks[(kProducers+index)*8] += compute(float64(v))
				consumed[index*8]++
				sums[index*8] += v
				manager <- managerMsg{kind: 'a', index: index}
			}
		}(c)
	}
	go func() { // The manager.
		var pending, idle, blocked []int64
		for c := 0; c < kConsumers; c++ {
			idle = append(idle, int64(c))
		}
		for _, producer := range producers {
			producer <- struct{}{}
		}
		exited := 0
		for m := range manager {
			switch m.kind {
			case 'd':
				if len(idle) > 0 {
					consumers[idle[0]] <- m.value
					idle = idle[1:]
				} else {
					pending = append(pending, m.value)
				}
				if len(pending) >= kBufferCapacity {
					blocked = append(blocked, int64(m.index))
				} else {
					producers[m.index] <- struct{}{}
				}
			case 'a':
				if len(pending) == 0 {
					idle = append(idle, int64(m.index))
				} else {
					consumers[m.index] <- pending[0]
					pending = pending[1:]
					if len(blocked) > 0 {
						producers[blocked[0]] <- struct{}{}
						blocked = blocked[1:]
					}
				}
			case 'x':
				exited++
			}
			if exited == kProducers && len(idle) == kConsumers {
				for _, consumer := range consumers {
					consumer <- -1
				}
				return
			}
		}
	}()
	wg.Wait()
	var count, sum int64
	for c := 0; c < kConsumers; c++ {
		count += consumed[c*8]
		sum += sums[c*8]
	}
	o := outcome{items: total, seconds: time.Since(start).Seconds()}
	verify(&o, count == total && sum == total*(total+1)/2, "wrong items consumed")
	return o
}

// ---- bounded_mailbox_buffer: the buffer made of bounded mailboxes -------------------
// bounded_buffer's trade without the manager: each consumer's channel holds
// kBufferCapacity / kConsumers = 4 items, and a producer's send blocks while
// it is full (Go's buffered channel is exactly a bounded mailbox with
// back-pressure). Producer p sends its item made to consumer (p + made) % 16,
// then a stop (-p) to every consumer. items = size rounded down to a multiple
// of 16.

func boundedMailboxBuffer(size int64) outcome {
	start := time.Now()
	perProducer := size / kProducers
	total := perProducer * kProducers
	consumers := make([]chan int64, kConsumers)
	consumed := make([]int64, kConsumers*8)
	sums := make([]int64, kConsumers*8)
	inOrder := make([]bool, kConsumers*8)
	sinks := make([]float64, (kProducers+kConsumers)*8)
	var wg sync.WaitGroup
	wg.Add(kConsumers)
	for c := range consumers {
		consumers[c] = make(chan int64, kBufferCapacity/kConsumers)
		inOrder[c*8] = true
		go func(index int) {
			defer wg.Done()
			last := make([]int64, kProducers)
			for stopped := 0; stopped < kProducers; {
				v := <-consumers[index]
				if v <= 0 {
					stopped++
					continue
				}
				sinks[(kProducers+index)*8] += compute(float64(v))
				producer := (v - 1) / perProducer
				if v <= last[producer] {
					inOrder[index*8] = false
				}
				last[producer] = v
				consumed[index*8]++
				sums[index*8] += v
			}
		}(c)
	}
	for p := 0; p < kProducers; p++ {
		go func(index int) {
			for made := int64(0); made < perProducer; made++ {
				sinks[index*8] += compute(float64(made))
				consumers[(int64(index)+made)%kConsumers] <- int64(index)*perProducer + made + 1
			}
			for _, consumer := range consumers {
				consumer <- int64(-index)
			}
		}(p)
	}
	wg.Wait()
	var count, sum int64
	ordered := true
	for c := 0; c < kConsumers; c++ {
		count += consumed[c*8]
		sum += sums[c*8]
		ordered = ordered && inOrder[c*8]
	}
	o := outcome{items: total, seconds: time.Since(start).Seconds()}
	verify(&o, count == total && sum == total*(total+1)/2 && ordered,
		"wrong items consumed, or out of order")
	return o
}

// ---- idle_actor_memory: n goroutines waiting on their mailboxes ---------------------
// items = n spawned and started; bytes_per_actor = RSS growth / n.

func idleActorMemory(n int64) outcome {
	mailboxes := make([]chan int, n) // The harness's, touched before the baseline.
	before := procStatusKib("VmRSS:")
	start := time.Now()
	var started, finished sync.WaitGroup
	started.Add(int(n))
	finished.Add(int(n))
	for i := range mailboxes {
		mailboxes[i] = make(chan int, 1)
		go func(mailbox chan int) {
			started.Done()
			<-mailbox
			finished.Done()
		}(mailboxes[i])
	}
	started.Wait()
	seconds := time.Since(start).Seconds()
	after := procStatusKib("VmRSS:")
	for _, mailbox := range mailboxes {
		mailbox <- 1
	}
	finished.Wait()
	o := outcome{items: n, seconds: seconds,
		extra: map[string]float64{"bytes_per_actor": float64(after-before) * 1024 / float64(n)}}
	verify(&o, true, "")
	return o
}

// ---- the runner --------------------------------------------------------------------

var workloads = map[string]func(int64) outcome{
	"counter_printer":        counterPrinter,
	"ping_pong":              pingPong,
	"counting":               counting,
	"thread_ring":            threadRing,
	"fork_join_throughput":   forkJoinThroughput,
	"fork_join_creation":     forkJoinCreation,
	"big":                    big,
	"chameneos":              chameneos,
	"bounded_buffer":         boundedBuffer,
	"bounded_mailbox_buffer": boundedMailboxBuffer,
	"idle_actor_memory":      idleActorMemory,
}

// procStatusKib is the value of a /proc/self/status line in KiB, or -1.
func procStatusKib(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		line := scanner.Text()
		if strings.HasPrefix(line, field) {
			kib, err := strconv.ParseInt(strings.Fields(line[len(field):])[0], 10, 64)
			if err == nil {
				return kib
			}
		}
	}
	return -1
}

// repeatUntil runs the workload again and again until the measured seconds
// add up to minSeconds (bench/runner/repeat.h's RepeatUntil): each
// repetition with goroutines and channels of its own, verified, and started
// only once the previous one's goroutines have all ended. It returns the
// totals (the first repetition's extra figures) and the repetitions.
func repeatUntil(minSeconds float64, run func() outcome) (outcome, int64) {
	baseline := runtime.NumGoroutine()
	var total outcome
	var repetitions int64
	for {
		o := run()
		repetitions++
		total.items += o.items
		total.seconds += o.seconds
		if repetitions == 1 {
			total.extra = o.extra
		}
		total.ok = o.ok
		if !o.ok {
			total.err = fmt.Sprintf("repetition %d: %s", repetitions, o.err)
			break
		}
		if total.seconds >= minSeconds || o.seconds <= 0 {
			break
		}
		deadline := time.Now().Add(10 * time.Second)
		for runtime.NumGoroutine() > baseline {
			if time.Now().After(deadline) {
				total.ok = false
				total.err = fmt.Sprintf("repetition %d: %d goroutines still running after 10 s",
					repetitions, runtime.NumGoroutine()-baseline)
				return total, repetitions
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	return total, repetitions
}

func main() {
	workload := flag.String("workload", "", "the workload's name")
	size := flag.Int64("size", 0, "the workload's size parameter")
	threads := flag.Int("threads", 1, "GOMAXPROCS")
	minSeconds := flag.Float64("min-seconds", 0,
		"repeat the workload until the measured seconds add up to this")
	flag.Parse()
	run, known := workloads[*workload]
	if !known || *size <= 0 || *threads <= 0 || !(*minSeconds >= 0) {
		fmt.Fprintln(os.Stderr, "need a known --workload, --size > 0, --threads > 0, --min-seconds >= 0")
		os.Exit(2)
	}
	runtime.GOMAXPROCS(*threads)
	o, repetitions := repeatUntil(*minSeconds, func() outcome { return run(*size) })
	report := map[string]interface{}{
		"system":           "go",
		"workload":         *workload,
		"threads":          *threads,
		"size":             *size,
		"repetitions":      repetitions,
		"items":            o.items,
		"seconds":          o.seconds,
		"items_per_second": float64(o.items) / o.seconds,
		"peak_rss_kib":     procStatusKib("VmHWM:"),
		"compiler":         runtime.Version(),
		"ok":               o.ok,
	}
	for name, value := range o.extra {
		report[name] = value
	}
	if !o.ok {
		report["error"] = o.err
	}
	line, _ := json.Marshal(report)
	fmt.Println(string(line))
	if !o.ok {
		os.Exit(1)
	}
}
