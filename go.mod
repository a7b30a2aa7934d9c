module re6st-tui

go 1.26.8

require (
	github.com/google/uuid v1.6.0 // indirect
	github.com/prometheus-community/pro-bing v0.9.1 // indirect
	github.com/vishvananda/netlink v1.3.1 // indirect
	github.com/vishvananda/netns v0.0.5 // indirect
	golang.org/x/net v0.56.0 // indirect
	golang.org/x/sync v0.21.0 // indirect
	golang.org/x/sys v0.46.0 // indirect
)
