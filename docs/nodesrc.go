package docs

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// PinnedNodeVersion is the Node release whose lib/ sources the port
// follows. Mirrors lines name definitions in exactly this version.
const PinnedNodeVersion = "v20.20.2"

// NodeLibModules lists the built-in module ids whose sources the port
// mirrors. ExtractNodeLib writes each id to <dir>/<id>.js, so the file for
// "internal/cluster/child" is lib/internal/cluster/child.js in Node's tree.
// scripts/node-src writes the same list.
var NodeLibModules = []string{
	"net",
	"cluster",
	"internal/net",
	"internal/cluster/child",
	"internal/cluster/primary",
	"internal/cluster/round_robin_handle",
	"internal/cluster/shared_handle",
	"internal/cluster/utils",
	"internal/cluster/worker",
	"internal/child_process",
	"internal/child_process/serialization",
	"internal/process/pre_execution",
	"internal/process/signal",
	"internal/socket_list",
	"child_process",
	"dgram",
	"internal/dgram",
	"events",
	"string_decoder",
	"internal/util",
	"internal/streams/readable",
	"internal/streams/writable",
}

// dumpNatives is run by node. Its arguments are the output folder followed
// by module ids; it writes the built-in source text of each id and prints
// the running node's version.
const dumpNatives = `'use strict';
const fs = require('fs');
const path = require('path');
const [outDir, ...ids] = process.argv.slice(1);
const sources = process.binding('natives');
const absent = ids.filter((id) => typeof sources[id] !== 'string');
if (absent.length > 0) {
  process.stderr.write('not built into node ' + process.version + ': ' +
                       absent.join(' ') + '\n');
  process.exit(1);
}
for (const id of ids) {
  const file = path.join(outDir, id + '.js');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, sources[id]);
}
process.stdout.write(process.version + '\n');
`

// ExtractNodeLib runs the node found on PATH and writes the sources of
// NodeLibModules, as built into that binary, under dir (so dir plays the
// part of Node's lib/ folder). It returns the version of that node, which
// need not be PinnedNodeVersion; callers decide whether that matters.
func ExtractNodeLib(dir string) (version string, err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	args := append([]string{"--no-deprecation", "-e", dumpNatives, "--", abs}, NodeLibModules...)
	cmd := exec.Command("node", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("extracting node sources: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}
