package networkdb

import "time"

// handleMessage dispatches one message from a peer.
func (n *NetworkDB) handleMessage(buf []byte) {
	m, err := decodeMessage(buf)
	if err != nil {
		n.log.WithError(err).Debug("dropping message")
		return
	}
	switch m := m.(type) {
	case *tableEventsMsg:
		n.handleTableEvents(m)
	case *netEventsMsg:
		n.handleNetEvents(m)
	case *syncReqMsg:
		n.handleSyncReq(m)
	case *syncDataMsg:
		n.handleSyncData(m)
	case *nodeLeaveMsg:
		n.handleNodeLeave(m)
	}
}

func (n *NetworkDB) handleTableEvents(m *tableEventsMsg) {
	if m.Sender == "" || m.Sender == n.self {
		return
	}
	now := time.Now()
	n.Lock()
	defer n.Unlock()
	if n.closed {
		return
	}
	t := n.networks[m.Network]
	if t == nil {
		return
	}
	for gi := range m.Groups {
		g := &m.Groups[gi]
		for ei := range g.Entries {
			n.applyRemote(m.Network, t, g.Table, m.Sender, &g.Entries[ei], now)
		}
	}
}

func (n *NetworkDB) handleNetEvents(m *netEventsMsg) {
	now := time.Now()
	n.Lock()
	defer n.Unlock()
	if n.closed {
		return
	}
	n.clock.Witness(m.Clock)
	for i := range m.Records {
		n.applyRecord(&m.Records[i], now)
	}
}

func (n *NetworkDB) handleNodeLeave(m *nodeLeaveMsg) {
	n.Lock()
	defer n.Unlock()
	if n.closed || m.Sender == "" {
		return
	}
	n.clock.Witness(m.LTime)
	n.nodeLeft(m.Sender)
}
