//go:build !linux

package api

import (
	"errors"
	"net"
)

// Without epoll, every WebSocket connection keeps a reader goroutine of its own.
type wsPoller struct{}

type wsPollHandle struct{}

var errNotPollable = errors.New("not a pollable connection")

func pollerOnce() *wsPoller { return nil }

func (*wsPoller) watch(net.Conn, func()) (*wsPollHandle, error) { return nil, errNotPollable }
func (*wsPollHandle) rewatch() error                            { return errNotPollable }
func (*wsPollHandle) forget()                                   {}
func (*wsPoller) watching() int                                 { return 0 }
