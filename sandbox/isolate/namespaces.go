package isolate

import (
	"os"
	"syscall"
)

// nobody is the host uid a root server's children run as: root inside
// their user namespace, nobody outside it, so a file the kernel checks
// against the host uid is never theirs.
const nobody = 65534

// namespaceFlags are the namespaces each child gets: its own users, pids
// (it is init, so killing it reaps everything it started), network (no
// interface but a down loopback), mounts, IPC and host name.
const namespaceFlags = syscall.CLONE_NEWUSER | syscall.CLONE_NEWPID | syscall.CLONE_NEWNET |
	syscall.CLONE_NEWNS | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS

// applyNamespaces adds the namespace flags and id maps to attr. A server
// running as root maps the child to nobody; any other user maps the child
// to itself, which needs no privilege.
func applyNamespaces(attr *syscall.SysProcAttr) {
	attr.Cloneflags |= namespaceFlags
	hostUID, hostGID := os.Getuid(), os.Getgid()
	if hostUID == 0 {
		hostUID, hostGID = nobody, nobody
	}
	attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: hostUID, Size: 1}}
	attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: hostGID, Size: 1}}
	attr.GidMappingsEnableSetgroups = false
	// Become the mapped uid: without this a root server's child would keep
	// host uid 0 for file ownership checks.
	attr.Credential = &syscall.Credential{Uid: 0, Gid: 0, NoSetGroups: true}
}
