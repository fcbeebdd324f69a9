#!/usr/bin/env node
// Parse and semantically analyse KQL with Microsoft's own Kusto language service.
//
// Input (stdin, JSON): {"queries": [{"name": "...", "text": "..."}, ...]}
// Output (stdout, JSON): {"parser": "<package>@<version>",
//                         "results": [{"name": "...", "diagnostics": [{severity, code,
//                                      message, start, length}]}]}
// SigninLogs, AADNonInteractiveUserSignInLogs, AuditLogs and AADSignInEventsBeta are declared
// with their documented columns (tables.json), so an unknown column or table is a diagnostic,
// like a syntax error. Exit status: 0 when the run completed (whatever the diagnostics), 2 when
// it could not run at all.
"use strict";

const fs = require("fs");
const path = require("path");

const PACKAGE = "@kusto/language-service-next";

function loadKusto() {
  const base = path.join(__dirname, "node_modules", PACKAGE);
  // bridge.js defines the global Bridge runtime that Kusto.Language.Bridge.js is built on.
  require(path.join(base, "bridge.js"));
  require(path.join(base, "Kusto.Language.Bridge.js"));
  const version = require(path.join(base, "package.json")).version;
  return { K: global.Kusto.Language, version };
}

function globalsFor(K, tablesFile) {
  const spec = JSON.parse(fs.readFileSync(tablesFile, "utf8")).tables;
  const tables = Object.entries(spec).map(([name, columns]) => {
    const schema = "(" + columns.map((c) => `['${c.name}']:${c.type}`).join(", ") + ")";
    return K.Symbols.TableSymbol.From(schema).WithName(name);
  });
  const db = new K.Symbols.DatabaseSymbol.ctor("workspace", tables);
  return K.GlobalState.Default.WithDatabase(db);
}

function analyse(K, globals, text) {
  const code = K.KustoCode.ParseAndAnalyze(text, globals);
  return Bridge.toArray(code.GetDiagnostics()).map((d) => ({
    severity: String(d.Severity),
    code: String(d.Code),
    message: String(d.Message),
    start: d.Start,
    length: d.Length,
  }));
}

function main() {
  let input;
  try {
    input = JSON.parse(fs.readFileSync(0, "utf8"));
  } catch (err) {
    process.stderr.write(`check.js: stdin is not JSON: ${err.message}\n`);
    return 2;
  }
  const { K, version } = loadKusto();
  const globals = globalsFor(K, path.join(__dirname, "tables.json"));
  const results = (input.queries || []).map((q) => ({
    name: q.name,
    diagnostics: analyse(K, globals, q.text),
  }));
  process.stdout.write(JSON.stringify({ parser: `${PACKAGE}@${version}`, results }) + "\n");
  return 0;
}

process.exitCode = main();
