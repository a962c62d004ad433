//go:build unix

package lambdamode

import (
	"os"
	"path/filepath"
	"syscall"
)

// lock takes an exclusive lock on the file at path (made if missing), so
// that test binaries building the same functions at once take turns:
// two `go build -o` of one file at the same time can leave it torn.
func lock(path string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}
