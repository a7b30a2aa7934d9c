package openvpn

import (
	"os/exec"
	"runtime"
	"sync"
)

// The parent-death signal is tied to the OS thread that forked the child,
// not to the process: if that thread ends, the child is killed. Go ends
// threads whose goroutine exits while locked to them (golang/go#27505), so
// children are started from one goroutine that stays locked to its thread
// for the life of the program.
var spawner struct {
	once sync.Once
	reqs chan spawnReq
}

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

func startCmd(cmd *exec.Cmd) error {
	spawner.once.Do(func() {
		spawner.reqs = make(chan spawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked: this thread must not end
			for r := range spawner.reqs {
				r.done <- r.cmd.Start()
			}
		}()
	})
	done := make(chan error, 1)
	spawner.reqs <- spawnReq{cmd, done}
	return <-done
}
