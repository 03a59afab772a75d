package eventscmd

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress is the progress bar of a run on a terminal: how far into the
// input the events sent reach, with the rate and the time left when the
// input's size is known (a spinner when not), and the events sent with
// their rate. A nil *progress shows nothing.
type progress struct {
	bar   *progressbar.ProgressBar
	start time.Time
}

// newProgress draws a bar on w for an input of size bytes, -1 when
// unknown, at most once per throttle (negative: at every change).
func newProgress(w io.Writer, size int64, throttle time.Duration) *progress {
	return &progress{
		start: time.Now(),
		bar: progressbar.NewOptions64(size,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("sending events"),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowTotalBytes(true),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionThrottle(max(throttle, 0)),
			progressbar.OptionSpinnerType(14),
			progressbar.OptionFullWidth(),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetRenderBlankState(true),
		),
	}
}

// sent shows how many events were sent, and their rate, and how far into
// the input they reach.
func (p *progress) sent(n int, end int64) {
	if p == nil {
		return
	}
	rate := float64(n) / max(time.Since(p.start).Seconds(), 0.001)
	p.bar.Describe(fmt.Sprintf("%d events sent, %.0f/s", n, rate))
	if p.bar.GetMax64() > 0 && end < p.bar.GetMax64() {
		_ = p.bar.Set64(end)
	} else {
		_ = p.bar.Set64(end - 1) // the end is for finish to reach
	}
}

// clear takes the bar off the line, for a message; it is drawn again at
// the next progress.
func (p *progress) clear() {
	if p != nil {
		_ = p.bar.Clear()
	}
}

// finish takes the bar away for good.
func (p *progress) finish() {
	if p != nil {
		_ = p.bar.Finish()
		_ = p.bar.Clear()
	}
}
