// The page's script, served as-is (no framework, no build step) by serving/src/routes/ui.ts. It talks only to the
// app that served it, through relative URLs from <html data-api>: GET metadata, POST predict and batch_predict,
// GET ui/api/stats. Values typed in the form go to the server as typed, so the server's own checks (and its 422
// reasons) are the ones the user sees. uPlot (window.uPlot) is loaded by the page before this module runs.

const api = new URL(document.documentElement.dataset.api || './', location.href);
const endpoint = (path) => new URL(path, api).toString();
const $ = (id) => document.getElementById(id);

const STATS_POLL_MS = 2000;
/** A JSON number exactly as JSON writes it: sent verbatim, so 1e999 reaches the server as the number it is. */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

let metadata;

/** What a typed value becomes in the JSON body: a JSON number when it reads as one, else the text (the server says why). */
export function jsonValue(text) {
  const trimmed = text.trim();
  if (trimmed === '') return 'null';
  if (JSON_NUMBER.test(trimmed)) return trimmed;
  // "+1", ".5", "1." and "007" are numbers to a person, not to JSON.
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(trimmed) && Number.isFinite(Number(trimmed))) return String(Number(trimmed));
  return JSON.stringify(trimmed);
}

/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and newlines. Blank lines are skipped. */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"' && field === '') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      if (row.some((cell) => cell.trim() !== '')) rows.push(row);
      row = [];
      field = '';
    } else field += char;
  }
  row.push(field);
  if (row.some((cell) => cell.trim() !== '')) rows.push(row);
  return rows;
}

function csvCell(value) {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

function setStatus(node, text, isError = false) {
  node.textContent = text;
  node.classList.toggle('error', isError);
  node.setAttribute('role', isError ? 'alert' : 'status');
}

async function postJson(path, body) {
  const started = performance.now();
  const response = await fetch(endpoint(path), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body,
  });
  const answer = await response.json().catch(() => ({ error: { message: `HTTP ${response.status} without a JSON body` } }));
  return { status: response.status, body: answer, roundTripMs: performance.now() - started };
}

/** The server's reason without its field path (`inputs.amount[0]: expected …` → `expected …`). */
function reasonOf(error) {
  const message = error?.message ?? 'request failed';
  return error?.field && message.startsWith(`${error.field}: `) ? message.slice(error.field.length + 2) : message;
}

const formatNumber = (value, digits = 4) => (typeof value === 'number' ? Number(value.toPrecision(digits)).toString() : '—');

// ---- the model --------------------------------------------------------------------------------------------------

/** Optional per-feature hints a metadata.json may carry: feature_types / feature_examples, keyed by name. */
function featureHint(name) {
  const type = metadata.feature_types?.[name] ?? 'number';
  const example = metadata.feature_examples?.[name];
  return { type, example: example === undefined ? undefined : String(example) };
}

function buildForm() {
  const fields = $('feature-fields');
  fields.replaceChildren();
  metadata.feature_names.forEach((name, index) => {
    const id = `feature-${index}`;
    const hint = featureHint(name);
    const input = element('input', {
      id,
      name,
      type: 'text',
      inputmode: 'decimal',
      autocomplete: 'off',
      spellcheck: 'false',
      'aria-describedby': `${id}-hint ${id}-error`,
    });
    if (hint.example !== undefined) input.placeholder = hint.example;
    fields.append(
      element(
        'div',
        { class: 'field', 'data-feature': name },
        element('label', { for: id, text: name }),
        input,
        element('span', {
          id: `${id}-hint`,
          class: 'hint',
          text: hint.example === undefined ? hint.type : `${hint.type}, e.g. ${hint.example}`,
        }),
        element('span', { id: `${id}-error`, class: 'field-error', 'aria-live': 'polite' }),
      ),
    );
  });
  const withExamples = metadata.feature_names.every((name) => featureHint(name).example !== undefined);
  $('example-button').hidden = !withExamples;
  $('csv-hint').textContent = `Columns: ${metadata.feature_names.join(', ')}`;
}

function showModel() {
  $('model-title').textContent = `${metadata.model_name} ${metadata.model_version}`;
  document.title = `Try ${metadata.model_name} ${metadata.model_version} · mlp`;
  const info = $('model-info');
  const rows = [
    ['Name', metadata.model_name],
    ['Version', metadata.model_version],
    ['Type', metadata.model_type],
    ['Backend', backendText(metadata.backend)],
    ['Loaded at', metadata.loaded_at ? `${new Date(metadata.loaded_at).toLocaleString()} (${metadata.loaded_at})` : '—'],
    ['Trained at', metadata.created_at ?? '—'],
    ['Classes', metadata.classes.join(', ')],
    ['Features', String(metadata.feature_names.length)],
  ];
  for (const [key, value] of Object.entries(metadata.training_metrics ?? {})) {
    if (typeof value === 'number' || typeof value === 'string') rows.push([`Training ${key}`, formatNumber(value, 4)]);
  }
  info.replaceChildren(...rows.flatMap(([term, value]) => [element('dt', { text: term }), element('dd', { text: String(value) })]));
  info.querySelector('dd:nth-of-type(4)').id = 'model-backend';
}

function backendText(backend) {
  if (backend?.kind === 'sagemaker' || backend === 'sagemaker')
    return backend?.endpoint ? `SageMaker endpoint ${backend.endpoint}` : 'SageMaker endpoint';
  return 'ONNX, in process (onnxruntime-node)';
}

async function loadMetadata() {
  for (;;) {
    try {
      const response = await fetch(endpoint('metadata'), { headers: { accept: 'application/json' } });
      if (response.ok) return await response.json();
      const body = await response.json().catch(() => ({}));
      setStatus($('load-status'), `The server is not ready yet (${body.error?.message ?? response.status}); retrying…`);
    } catch (error) {
      setStatus($('load-status'), `Cannot reach the server (${error.message}); retrying…`, true);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

// ---- one row ----------------------------------------------------------------------------------------------------

function clearFieldErrors() {
  for (const field of document.querySelectorAll('#feature-fields .field')) {
    field.querySelector('input').removeAttribute('aria-invalid');
    field.querySelector('.field-error').textContent = '';
  }
}

/** The form field a 422's `field` names (`inputs.amount[0]` → amount), or undefined. */
function fieldFor(path) {
  const match = /^inputs\.(.+?)(?:\[\d+\])?$/.exec(path ?? '');
  if (!match) return undefined;
  return [...document.querySelectorAll('#feature-fields .field')].find((field) => field.dataset.feature === match[1]);
}

async function predictOne(event) {
  event.preventDefault();
  const status = $('predict-status');
  const button = $('predict-button');
  clearFieldErrors();
  const columns = metadata.feature_names.map((name, index) => `${JSON.stringify(name)}:[${jsonValue($(`feature-${index}`).value)}]`);
  const body = `{"inputs":{${columns.join(',')}},"return_probabilities":true}`;
  button.disabled = true;
  setStatus(status, 'Predicting…');
  try {
    const { status: code, body: answer, roundTripMs } = await postJson('predict', body);
    if (code !== 200) {
      $('predict-result').hidden = true;
      const field = fieldFor(answer.error?.field);
      if (field) {
        const input = field.querySelector('input');
        input.setAttribute('aria-invalid', 'true');
        field.querySelector('.field-error').textContent = reasonOf(answer.error);
        setStatus(status, `The server answered ${code}: check ${field.dataset.feature}.`, true);
        input.focus();
      } else setStatus(status, `The server answered ${code}: ${answer.error?.message ?? 'no reason given'}`, true);
      return;
    }
    setStatus(status, '');
    showPrediction(answer, roundTripMs);
  } catch (error) {
    setStatus(status, `The request failed: ${error.message}`, true);
  } finally {
    button.disabled = false;
  }
}

function showPrediction(answer, roundTripMs) {
  $('predict-label').textContent = String(answer.predictions[0]);
  $('predict-latency').textContent =
    `${formatNumber(roundTripMs, 3)} ms round trip from this page; ${formatNumber(answer.inference_time_ms, 3)} ms in the model ` +
    `(${answer.model_name} ${answer.model_version}).`;
  const probabilities = answer.probabilities?.[0] ?? [];
  $('predict-probabilities')
    .querySelector('tbody')
    .replaceChildren(
      ...metadata.classes.map((label, j) => {
        const p = probabilities[j] ?? 0;
        const bar = element('span', { class: 'bar' });
        bar.style.width = `${Math.max(0, Math.min(1, p)) * 100}%`;
        return element(
          'tr',
          {},
          element('td', { text: String(label) }),
          element('td', { class: 'number', text: `${(p * 100).toFixed(2)} %` }),
          element('td', {}, bar),
        );
      }),
    );
  $('predict-result').hidden = false;
}

function fillExample() {
  metadata.feature_names.forEach((name, index) => {
    $(`feature-${index}`).value = featureHint(name).example ?? '';
  });
}

// ---- many rows --------------------------------------------------------------------------------------------------

const BATCH_TABLE_ROWS = 200;

/** CSV text → the instances' JSON and the columns as read. A first row of numbers means "no header". */
function instancesFromCsv(text) {
  const rows = parseCsv(text);
  if (rows.length === 0) throw new Error('the CSV has no rows');
  const first = rows[0].map((cell) => cell.trim());
  const headerless = first.every((cell) => cell !== '' && Number.isFinite(Number(cell)));
  const columns = headerless ? metadata.feature_names : first;
  const data = headerless ? rows : rows.slice(1);
  if (data.length === 0) throw new Error('the CSV has a header row but no data rows');
  if (headerless && first.length !== columns.length) {
    throw new Error(
      `the first row has ${first.length} values and no header; the model has ${columns.length} features (${columns.join(', ')})`,
    );
  }
  const instances = data.map((cells) => `{${columns.map((name, j) => `${JSON.stringify(name)}:${jsonValue(cells[j] ?? '')}`).join(',')}}`);
  return { columns, data, body: `{"instances":[${instances.join(',')}],"return_probabilities":true}` };
}

async function readCsvInput() {
  const file = $('csv-file').files?.[0];
  if (file) return file.text();
  return $('csv-text').value;
}

async function predictBatch(event) {
  event.preventDefault();
  const status = $('batch-status');
  const button = $('batch-button');
  let parsed;
  try {
    parsed = instancesFromCsv(await readCsvInput());
  } catch (error) {
    setStatus(status, `Cannot read the CSV: ${error.message}.`, true);
    return;
  }
  button.disabled = true;
  setStatus(status, `Predicting ${parsed.data.length} rows…`);
  try {
    const { status: code, body: answer, roundTripMs } = await postJson('batch_predict', parsed.body);
    if (code !== 200) {
      $('batch-result').hidden = true;
      const where = /^instances\[(\d+)\](?:\.(.+))?$/.exec(answer.error?.field ?? '');
      const row = where ? ` in row ${Number(where[1]) + 1}${where[2] ? `, column ${where[2]}` : ''}` : '';
      setStatus(
        status,
        `The server answered ${code}${row}: ${where ? reasonOf(answer.error) : (answer.error?.message ?? 'no reason given')}`,
        true,
      );
      return;
    }
    setStatus(status, '');
    showBatch(parsed, answer, roundTripMs);
  } catch (error) {
    setStatus(status, `The request failed: ${error.message}`, true);
  } finally {
    button.disabled = false;
  }
}

let downloadUrl;

function showBatch({ columns, data }, answer, roundTripMs) {
  const classes = metadata.classes;
  const header = ['row', 'prediction', ...classes.map((label) => `p_${label}`), ...columns];
  const records = data.map((cells, r) => [
    r + 1,
    answer.predictions[r],
    ...classes.map((_, j) => answer.probabilities?.[r]?.[j] ?? ''),
    ...columns.map((_, j) => cells[j] ?? ''),
  ]);
  const table = $('batch-table');
  table
    .querySelector('thead')
    .replaceChildren(element('tr', {}, ...header.map((name) => element('th', { scope: 'col', text: String(name) }))));
  table.querySelector('tbody').replaceChildren(
    ...records.slice(0, BATCH_TABLE_ROWS).map((record) =>
      element(
        'tr',
        {},
        ...record.map((value, j) =>
          element('td', {
            class: j === 1 ? '' : 'number',
            text: typeof value === 'number' && j > 1 && j < 2 + classes.length ? value.toFixed(4) : String(value),
          }),
        ),
      ),
    ),
  );
  const shown = Math.min(records.length, BATCH_TABLE_ROWS);
  $('batch-summary').textContent =
    `${records.length} predictions in ${formatNumber(roundTripMs, 3)} ms round trip (${formatNumber(answer.inference_time_ms, 3)} ms in the model)` +
    (shown < records.length ? `; the table shows the first ${shown}, the download has all.` : '.');
  const csv = [header, ...records].map((record) => record.map(csvCell).join(',')).join('\r\n');
  if (downloadUrl) URL.revokeObjectURL(downloadUrl);
  downloadUrl = URL.createObjectURL(new Blob([`${csv}\r\n`], { type: 'text/csv' }));
  $('batch-download').href = downloadUrl;
  $('batch-result').hidden = false;
}

// ---- live panels ------------------------------------------------------------------------------------------------

const charts = {};

function makeChart(id, series) {
  const figure = $(id);
  const plot = figure.querySelector('.plot');
  const chart = new window.uPlot(
    {
      width: Math.max(plot.clientWidth, 280),
      height: 170,
      series: [{}, ...series.map(([label, stroke, dash]) => ({ label, stroke, width: 2, dash, spanGaps: false }))],
      axes: [{ stroke: '#4a5360' }, { stroke: '#4a5360', size: 56 }],
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] } },
      legend: { live: false },
    },
    [[], ...series.map(() => [])],
    plot,
  );
  charts[id] = { chart, figure, plot };
}

function updateCharts(points) {
  const t = points.map((p) => p.t);
  const data = {
    'chart-rps': [t, points.map((p) => p.rps)],
    'chart-latency': [t, points.map((p) => p.p50_ms), points.map((p) => p.p99_ms)],
    'chart-errors': [t, points.map((p) => p.error_pct), points.map((p) => p.server_error_pct)],
  };
  for (const [id, series] of Object.entries(data)) {
    const { chart, figure } = charts[id];
    chart.setData(series);
    figure.dataset.points = String(points.length);
    figure.dataset.last = JSON.stringify(series.slice(1).map((values) => values[values.length - 1] ?? null));
  }
  const last = points[points.length - 1];
  const total = points.reduce((sum, point) => sum + point.requests, 0);
  $('live-summary').textContent =
    last === undefined
      ? 'Collecting… the first point appears in a few seconds.'
      : `Latest: ${formatNumber(last.rps ?? 0, 3)} requests/s, p50 ${formatNumber(last.p50_ms)} ms, p99 ${formatNumber(last.p99_ms)} ms, ` +
        `${formatNumber(last.error_pct ?? 0, 3)} % errors. ${total} prediction requests in the window.`;
}

async function pollStats() {
  if (!document.hidden) {
    try {
      const response = await fetch(endpoint('ui/api/stats'), { headers: { accept: 'application/json' } });
      if (response.ok) {
        const stats = await response.json();
        updateCharts(stats.points);
        const backend = $('model-backend');
        if (stats.backend && backend) backend.textContent = backendText(stats.backend);
      }
    } catch {
      // The next poll tries again; the panels keep what they showed.
    }
  }
  setTimeout(pollStats, STATS_POLL_MS);
}

function resizeCharts() {
  for (const { chart, plot } of Object.values(charts)) chart.setSize({ width: Math.max(plot.clientWidth, 280), height: 170 });
}

// ---- start ------------------------------------------------------------------------------------------------------

async function start() {
  makeChart('chart-rps', [['requests/s', '#0b5cad']]);
  makeChart('chart-latency', [
    ['p50 ms', '#0b5cad'],
    ['p99 ms', '#a4001d', [6, 4]],
  ]);
  makeChart('chart-errors', [
    ['≥ 400 %', '#b35c00'],
    ['5xx %', '#a4001d', [6, 4]],
  ]);
  new ResizeObserver(resizeCharts).observe(document.querySelector('.charts'));
  pollStats();

  metadata = await loadMetadata();
  buildForm();
  showModel();
  setStatus(
    $('load-status'),
    `Serving ${metadata.model_name} version ${metadata.model_version}: ${metadata.feature_names.length} features.`,
  );
  document.body.dataset.ready = 'true';
  $('predict-form').addEventListener('submit', predictOne);
  $('example-button').addEventListener('click', fillExample);
  $('batch-form').addEventListener('submit', predictBatch);
  $('csv-file').addEventListener('change', () => setStatus($('batch-status'), ''));
}

start();
