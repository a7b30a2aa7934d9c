module re6st-tui

go 1.26.8
