package oauthtest

import (
	"os"
	"syscall"
)

// syncData makes what was appended to f durable: fdatasync, which flushes
// the data and the size that finds it, not the times fsync also writes.
func syncData(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
