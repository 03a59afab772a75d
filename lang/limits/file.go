package limits

import (
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ReadRegular reads the regular file at path, of at most max bytes. A
// directory, named pipe, device or socket, or a longer file, is refused with
// a *limits.Error whose Detail follows the file's name ("is a directory,
// ..."); a named pipe is never opened, so the read cannot block.
func ReadRegular(path string, max int64) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := regular(info, max); err != nil {
		return nil, err
	}
	f, err := openNoBlock(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The file may have been replaced since the Stat.
	if info, err = f.Stat(); err != nil {
		return nil, err
	}
	if err := regular(info, max); err != nil {
		return nil, err
	}
	src, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(src)) > max {
		return nil, tooLarge(int64(len(src)), max)
	}
	return src, nil
}

func regular(info fs.FileInfo, max int64) error {
	m := info.Mode()
	switch {
	case m.IsDir():
		return &Error{Summary: "Not a regular file", Detail: "is a directory, not a file."}
	case m&fs.ModeNamedPipe != 0:
		return &Error{Summary: "Not a regular file", Detail: "is a named pipe; only regular files are read."}
	case m&(fs.ModeDevice|fs.ModeCharDevice) != 0:
		return &Error{Summary: "Not a regular file", Detail: "is a device; only regular files are read."}
	case !m.IsRegular():
		return &Error{Summary: "Not a regular file", Detail: "is not a regular file; only regular files are read."}
	case info.Size() > max:
		return tooLarge(info.Size(), max)
	}
	return nil
}

func tooLarge(n, max int64) error {
	return &Error{Summary: "File too large", Detail: fmt.Sprintf("is %d bytes or more; a file may be at most %d bytes (%d MiB).", n, max, max>>20)}
}
