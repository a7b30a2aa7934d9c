// Package control serves a running node on a Unix socket so that
// `re6st-tui --attach SOCKET` can show a headless re6stnet and send it
// commands, and provides the [Client] that speaks to that socket.
//
// The protocol is newline-delimited JSON. The client first sends a hello
// with its protocol version; the server answers with its own. Then every
// request carries an ID, and every reply carries the ID of its request.
// A command gets one final reply; a snapshot gets one reply holding the
// state; a subscription or a trace gets an acknowledgement, then a stream
// of events or hops, then a final reply when it ends. A "cancel" request
// ends a stream or command early. Errors travel as text, written for a
// person to act on.
//
// A session, client lines marked >, server lines <:
//
//	> {"id":1,"op":"hello","protocol":"re6st-control","version":1}
//	< {"id":1,"end":true,"hello":{"protocol":"re6st-control","version":1}}
//	> {"id":2,"op":"subscribe"}
//	< {"id":2}
//	< {"id":2,"event":{"kind":"status","time":"…","status":{"phase":"connected","since":"…"}}}
//	> {"id":3,"op":"kill_tunnel","arg":"re6stnet-tcp/2001:db8:42::/48"}
//	< {"id":3,"end":true,"error":"kill tunnel …: no such tunnel; …"}
//	> {"id":4,"op":"cancel","cancel":2}
//	< {"id":2,"end":true}
//
// The server never lets a client slow the node: each subscription reads
// the engine's own lag-bounded channel, and a client that stops reading
// falls behind there, receives the lagged event and loses its stream.
package control
