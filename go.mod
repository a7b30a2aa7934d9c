module re6st-tui

go 1.26.8

require (
	github.com/prometheus-community/pro-bing v0.9.1
	github.com/vishvananda/netlink v1.3.1
	github.com/vishvananda/netns v0.0.5
	golang.org/x/net v0.56.0
	golang.org/x/sys v0.50.0
)

require (
	github.com/google/uuid v1.6.0 // indirect
	golang.org/x/sync v0.21.0 // indirect
)
