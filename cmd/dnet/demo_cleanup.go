package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cnmkit/libnetwork/ns"
)

// cleanup removes what the demo made, checks that the controller left
// nothing behind, and stops it; it runs even after a failed step.
func (s *scenario) cleanup() {
	for _, l := range s.servers {
		_ = l.Close()
	}
	if s.cl != nil && (s.netMade || len(s.sbs) > 0 || len(s.eps) > 0) {
		s.r.always("detach and remove endpoints, sandboxes and the network", s.removeAll)
	}
	for _, h := range s.nsh {
		_ = h.Close()
	}
	outErr := s.removeOutside()
	if s.d != nil && s.base.links != nil {
		s.r.always("nothing left behind: links, routes, firewall rules, namespaces", func() (string, error) {
			if outErr != nil {
				return "", fmt.Errorf("remove the outside namespace: %w", outErr)
			}
			return s.checkClean()
		})
	}
	if s.d != nil {
		s.r.always("stop the controller and remove the API socket", s.stop)
	}
	if s.cl != nil {
		s.cl.Close()
	}
	if s.hnl != nil {
		s.hnl.Close()
	}
	if s.host.IsOpen() {
		_ = s.host.Close()
	}
}

func (s *scenario) removeAll() (string, error) {
	// Clean-up goes on after an interrupt.
	ctx := context.Background()
	var done []string
	var errs []error
	for _, name := range []string{"client", "web"} {
		ep, ok := s.eps[name]
		if !ok {
			continue
		}
		if cur, err := s.cl.Endpoint(ctx, demoNet, ep.Name); err == nil && cur.Sandbox != "" {
			if _, err := s.cl.Detach(ctx, cur.Sandbox, demoNet, ep.Name); err != nil {
				errs = append(errs, err)
				continue
			}
			done = append(done, "detached "+name)
		}
	}
	for _, name := range []string{"client", "web"} {
		if _, ok := s.eps[name]; !ok {
			continue
		}
		if err := s.cl.DeleteEndpoint(ctx, demoNet, name, true); err != nil {
			errs = append(errs, err)
			continue
		}
		delete(s.eps, name)
		done = append(done, "endpoint "+name)
	}
	for _, name := range []string{"client", "web"} {
		if _, ok := s.sbs[name]; !ok {
			continue
		}
		if err := s.cl.DeleteSandbox(ctx, name); err != nil {
			errs = append(errs, err)
			continue
		}
		delete(s.sbs, name)
		done = append(done, "sandbox "+name)
	}
	if s.netMade {
		if err := s.cl.DeleteNetwork(ctx, demoNet); err != nil {
			errs = append(errs, err)
		} else {
			s.netMade = false
			done = append(done, "network "+demoNet)
		}
	}
	return "removed: " + strings.Join(done, ", "), errors.Join(errs...)
}

// removeOutside deletes the demo's own outside namespace and veth.
func (s *scenario) removeOutside() error {
	var errs []error
	if s.hnl != nil {
		if l, err := s.hnl.LinkByName(outsideLink); err == nil {
			errs = append(errs, s.hnl.LinkDel(l))
		}
	}
	if s.outside.IsOpen() {
		_ = s.outside.Close()
	}
	if s.outPath != "" {
		errs = append(errs, ns.RemovePinned(s.outPath))
		s.outPath = ""
	}
	return errors.Join(errs...)
}

// checkClean waits until the host namespace is as it was before the
// network was made and no namespace is pinned under the exec root.
func (s *scenario) checkClean() (string, error) {
	nsDir := filepath.Join(s.d.cfg.ExecRoot, "netns")
	var problems []string
	err := retry(10*time.Second, func() error {
		now, err := snapshotHost(s.hnl)
		if err != nil {
			return err
		}
		problems = s.base.diff(now)
		entries, err := os.ReadDir(nsDir)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		for _, e := range entries {
			problems = append(problems, "namespace left behind: "+filepath.Join(nsDir, e.Name()))
		}
		if len(problems) > 0 {
			return fmt.Errorf("%s", strings.Join(problems, "\n"))
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	rules := "no iptables-save: firewall not compared"
	if s.base.fw {
		rules = fmt.Sprintf("%d firewall rules as before", len(s.base.rules))
	}
	return fmt.Sprintf("links (%s) and routes as before; %s; no namespace under %s",
		strings.Join(s.base.links, ", "), rules, nsDir), nil
}

func (s *scenario) stop() (string, error) {
	sock := s.d.cfg.Socket
	s.d.stop()
	s.d = nil
	if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("socket %s still there after stop", sock)
	}
	return "controller stopped; socket removed", nil
}
