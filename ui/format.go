package ui

import (
	"fmt"
	"time"
)

// bytesText prints a byte count with a binary unit, 5 cells or so.
func bytesText(n float64) string {
	units := []string{"B", "K", "M", "G", "T"}
	i := 0
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	if i == 0 || n >= 100 {
		return fmt.Sprintf("%.0f%s", n, units[i])
	}
	return fmt.Sprintf("%.1f%s", n, units[i])
}

// rateText prints a rate in bytes per second, "-" when unknown.
func rateText(r float64, known bool) string {
	if !known {
		return "-"
	}
	return bytesText(r) + "/s"
}

// durText prints a duration the way uptime does: 3d4h, 2h05m, 4m10s, 12s.
func durText(d time.Duration) string {
	switch {
	case d < 0:
		return "-"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%dh", int(d.Hours()/24), int(d.Hours())%24)
}

// msText prints a round-trip time in milliseconds.
func msText(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}

func costText(c uint16) string {
	if c == 0xFFFF {
		return "inf"
	}
	return fmt.Sprint(c)
}
