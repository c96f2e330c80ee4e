// gotest: one static Go binary, several modes, each exercising what the Go runtime needs of
// the kernel (epoll for its netpoller and timers, threads and futexes, signals, mmap for the
// GC). Each mode prints "OK <mode>" and exits 0, or prints "FAIL <mode>: why" and exits 1.
//
//	gotest goroutines   goroutines sleeping, timers, tickers, channels, select timeouts
//	gotest files        file I/O: create, write, read, seek, rename, readdir, remove
//	gotest exec         os/exec: output, exit codes, SIGTERM to a child, signal.Notify
//	gotest http PORT    a net/http server on PORT that answers /hello and stops on /quit
//	gotest gc           allocation-heavy goroutines; the collector runs and memory is reused
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"
)

func fail(mode string, format string, args ...interface{}) {
	fmt.Printf("FAIL %s: %s\n", mode, fmt.Sprintf(format, args...))
	os.Exit(1)
}

func goroutines() {
	var wg sync.WaitGroup
	results := make(chan int, 200)
	start := time.Now()
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			time.Sleep(time.Duration(i%20) * time.Millisecond)
			results <- i
		}(i)
	}
	wg.Wait()
	close(results)
	sum := 0
	for v := range results {
		sum += v
	}
	if sum != 199*200/2 {
		fail("goroutines", "sum %d", sum)
	}
	if d := time.Since(start); d < 19*time.Millisecond || d > 20*time.Second {
		fail("goroutines", "200 sleepers took %v", d)
	}
	ticker := time.NewTicker(10 * time.Millisecond)
	ticks := 0
	deadline := time.After(200 * time.Millisecond)
loop:
	for {
		select {
		case <-ticker.C:
			ticks++
		case <-deadline:
			break loop
		}
	}
	ticker.Stop()
	if ticks < 5 || ticks > 21 {
		fail("goroutines", "%d ticks of 10 ms in 200 ms", ticks)
	}
	timer := time.NewTimer(time.Hour)
	if !timer.Stop() {
		fail("goroutines", "stopping a timer")
	}
	t0 := time.Now()
	select {
	case <-make(chan int):
		fail("goroutines", "received from a nil-sender channel")
	case <-time.After(50 * time.Millisecond):
	}
	if d := time.Since(t0); d < 45*time.Millisecond {
		fail("goroutines", "select timeout of 50 ms took %v", d)
	}
	// Ping-pong between goroutines over unbuffered channels.
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
		close(pong)
	}()
	v := 0
	for i := 0; i < 10000; i++ {
		ping <- v
		v = <-pong
	}
	close(ping)
	if v != 10000 {
		fail("goroutines", "ping-pong %d", v)
	}
	fmt.Printf("OK goroutines (GOMAXPROCS %d)\n", runtime.GOMAXPROCS(0))
}

func files() {
	dir, err := os.MkdirTemp("", "gotest")
	if err != nil {
		fail("files", "MkdirTemp: %v", err)
	}
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "a.txt")
	data := bytes.Repeat([]byte("openv go "), 10000)
	if err := os.WriteFile(p, data, 0600); err != nil {
		fail("files", "WriteFile: %v", err)
	}
	got, err := os.ReadFile(p)
	if err != nil || !bytes.Equal(got, data) {
		fail("files", "ReadFile: %v (%d bytes)", err, len(got))
	}
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		fail("files", "OpenFile: %v", err)
	}
	if _, err := f.Seek(5, io.SeekStart); err != nil {
		fail("files", "Seek: %v", err)
	}
	if _, err := f.Write([]byte("GO")); err != nil {
		fail("files", "Write: %v", err)
	}
	buf := make([]byte, 9)
	if _, err := f.ReadAt(buf, 0); err != nil || string(buf) != "openvGOo " {
		fail("files", "ReadAt: %v %q", err, buf)
	}
	st, _ := f.Stat()
	if st.Size() != int64(len(data)) {
		fail("files", "size %d", st.Size())
	}
	f.Close()
	if err := os.Rename(p, filepath.Join(dir, "b.txt")); err != nil {
		fail("files", "Rename: %v", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) != 1 || ents[0].Name() != "b.txt" {
		fail("files", "ReadDir: %v %v", err, ents)
	}
	// A pipe through the runtime poller (os.Pipe is nonblocking in Go).
	r, w, err := os.Pipe()
	if err != nil {
		fail("files", "Pipe: %v", err)
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		w.Write([]byte("through the poller"))
		w.Close()
	}()
	all, err := io.ReadAll(r)
	if err != nil || string(all) != "through the poller" {
		fail("files", "pipe: %v %q", err, all)
	}
	r.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	if _, err := r.Read(buf); err == nil {
		fail("files", "read from a drained pipe succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "a.txt")); !errors.Is(err, os.ErrNotExist) {
		fail("files", "old name still there: %v", err)
	}
	fmt.Println("OK files")
}

func execMode() {
	out, err := exec.Command("/bin/sh", "-c", "echo hello; echo err >&2").Output()
	if err != nil || string(out) != "hello\n" {
		fail("exec", "Output: %v %q", err, out)
	}
	err = exec.Command("/bin/sh", "-c", "exit 3").Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		fail("exec", "exit 3: %v", err)
	}
	cmd := exec.Command("/bin/sleep", "30")
	if err := cmd.Start(); err != nil {
		fail("exec", "Start sleep: %v", err)
	}
	time.Sleep(50 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	err = cmd.Wait()
	if !errors.As(err, &ee) {
		fail("exec", "Wait after SIGTERM: %v", err)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		fail("exec", "child not killed by SIGTERM: %v", err)
	}
	// Stdin/stdout pipes to a child, through the poller.
	cat := exec.Command("/bin/cat")
	cat.Stdin = bytes.NewReader(bytes.Repeat([]byte("x"), 100000))
	var sink bytes.Buffer
	cat.Stdout = &sink
	if err := cat.Run(); err != nil || sink.Len() != 100000 {
		fail("exec", "cat: %v, %d bytes", err, sink.Len())
	}
	// Signals to ourselves through signal.Notify.
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR1)
	syscall.Kill(os.Getpid(), syscall.SIGUSR1)
	select {
	case s := <-ch:
		if s != syscall.SIGUSR1 {
			fail("exec", "got %v", s)
		}
	case <-time.After(5 * time.Second):
		fail("exec", "SIGUSR1 not delivered to signal.Notify")
	}
	signal.Stop(ch)
	fmt.Println("OK exec")
}

func httpMode(port string) {
	ln, err := net.Listen("tcp", ":"+port)
	if err != nil {
		fail("http", "Listen: %v", err)
	}
	quit := make(chan struct{})
	var once sync.Once
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from go on openv\n")
	})
	mux.HandleFunc("/quit", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "bye\n")
		once.Do(func() { close(quit) })
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	// The server answers its own client first (loopback, concurrent requests).
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get("http://127.0.0.1:" + port + "/hello")
			if err != nil {
				errs <- err
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != "hello from go on openv\n" {
				errs <- fmt.Errorf("body %q", b)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		fail("http", "self-fetch: %v", err)
	}
	fmt.Println("LISTENING " + port)
	select {
	case <-quit:
	case <-time.After(10 * time.Minute):
		fail("http", "nobody asked for /quit")
	}
	time.Sleep(50 * time.Millisecond)
	srv.Close()
	fmt.Println("OK http")
}

type node struct {
	next *node
	pad  [64]byte
}

func gcMode() {
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for round := 0; round < 6; round++ {
				var head *node
				for i := 0; i < 20000; i++ {
					head = &node{next: head}
				}
				_ = make([]byte, 1<<20)
				n := 0
				for p := head; p != nil; p = p.next {
					n++
				}
				if n != 20000 {
					fail("gc", "list of %d", n)
				}
			}
		}(g)
	}
	wg.Wait()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	total := after.TotalAlloc - before.TotalAlloc
	if after.NumGC-before.NumGC < 2 {
		fail("gc", "only %d collections for %d MiB", after.NumGC-before.NumGC, total>>20)
	}
	if after.HeapAlloc > 64<<20 {
		fail("gc", "heap still %d MiB after GC", after.HeapAlloc>>20)
	}
	fmt.Printf("OK gc (%d MiB allocated, %d collections)\n", total>>20, after.NumGC-before.NumGC)
}

func main() {
	if len(os.Args) < 2 {
		fmt.Println("usage: gotest goroutines|files|exec|http PORT|gc")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "goroutines":
		goroutines()
	case "files":
		files()
	case "exec":
		execMode()
	case "http":
		port := "8080"
		if len(os.Args) > 2 {
			port = os.Args[2]
		}
		httpMode(port)
	case "gc":
		gcMode()
	default:
		fmt.Println("unknown mode " + os.Args[1])
		os.Exit(2)
	}
}
