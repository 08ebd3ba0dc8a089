// BlockLab's pages: the runs list, a run, a comparison, SQL, and the self-contained report.
// One script for the live dashboard (data from the JSON API) and the report (data embedded in
// the file), so both draw the same views. Charts are dygraphs; nothing loads from elsewhere.
//
// State that tests and the benchmark read: window.blocklab.charts (every chart drawn, with its
// dygraph), window.blocklab.ready, and the performance mark 'blocklab:charts-drawn' set once
// the page's first charts are drawn.
(function () {
  'use strict';

  const page = document.body.dataset.page;
  const embedded = page === 'report' ? JSON.parse(document.getElementById('blocklab-data').textContent) : null;
  const blocklab = (window.blocklab = { charts: [], ready: false, polls: 0, lastChange: null, lastChangePoll: null });
  const palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

  // ---- data: the JSON API, or the report's embedded copy of the same documents ----
  async function api(path, options) {
    const response = await fetch(path, Object.assign({ credentials: 'same-origin' }, options || {}));
    const text = await response.text();
    let body;
    try { body = JSON.parse(text); } catch (e) { body = { error: text }; }
    if (!response.ok) throw new Error(body.error || ('HTTP ' + response.status));
    return body;
  }
  const source = {
    runs: () => api('/api/runs'),
    run: (id) => embedded ? Promise.resolve(embedded.runs.find((r) => String(r.run.id) === String(id))) : api('/api/runs/' + id),
    // options: { from, to, keys } (all optional); buckets: about one per horizontal pixel.
    metrics: (id, options, buckets) => {
      if (embedded) return Promise.resolve({ run_id: id, series: embedded.series[String(id)] || [] });
      const o = options || {};
      let query = 'buckets=' + buckets;
      if (o.from !== undefined) query += '&from=' + o.from;
      if (o.to !== undefined) query += '&to=' + o.to;
      if (o.keys) query += '&keys=' + o.keys.map(encodeURIComponent).join(',');
      return api('/api/runs/' + id + '/metrics?' + query);
    },
    hardware: (id, points) => embedded ? Promise.resolve(embedded.hardware[String(id)]) : api('/api/runs/' + id + '/hardware?points=' + points),
    compare: (ids, buckets) => embedded ? Promise.resolve(embedded.compare) : api('/api/compare?runs=' + ids.join(',') + '&buckets=' + buckets),
  };

  // ---- small helpers ----
  function el(tag, attributes, children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'text') node.textContent = value;
      else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? '' : value);
    }
    for (const child of [].concat(children || [])) {
      if (child !== null && child !== undefined) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  function number(value) {
    if (value === null || value === undefined || value === '') return '';
    if (typeof value !== 'number') return String(value);
    if (Number.isInteger(value) && Math.abs(value) < 1e12) return String(value);
    const magnitude = Math.abs(value);
    return magnitude >= 1e-3 && magnitude < 1e6 ? value.toPrecision(6).replace(/\.?0+$/, '') : value.toExponential(4);
  }
  function duration(seconds) {
    if (seconds === null || seconds === undefined) return '';
    if (seconds < 60) return seconds.toFixed(1) + 's';
    const total = Math.round(seconds);
    if (total < 3600) return Math.floor(total / 60) + 'm' + String(total % 60).padStart(2, '0') + 's';
    return Math.floor(total / 3600) + 'h' + String(Math.floor((total % 3600) / 60)).padStart(2, '0') + 'm';
  }
  function time(seconds) { return seconds ? new Date(seconds * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : ''; }
  function bytes(value) {
    if (value === null || value === undefined) return '';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let size = value, unit = 0;
    while (size >= 1024 && unit < units.length - 1) { size /= 1024; unit++; }
    return unit === 0 ? value + ' B' : size.toFixed(1) + ' ' + units[unit];
  }
  function badge(status) { return el('span', { class: 'status status-' + status, 'data-role': 'status', text: status }); }
  function table(headers, rows, attributes) {
    return el('table', attributes || {}, [
      el('thead', {}, el('tr', {}, headers.map((h) => el('th', { text: h })))),
      el('tbody', {}, rows.map((row) => el('tr', {}, row.map((cell) => cell instanceof Node ? el('td', {}, cell) : el('td', { text: cell === null || cell === undefined ? '' : cell }))))),
    ]);
  }
  function showError(root, error) {
    root.replaceChildren(el('p', { class: 'error', id: 'error', text: error.message || String(error) }));
  }
  function markDrawn() {
    if (blocklab.ready) return;
    blocklab.ready = true;
    performance.mark('blocklab:charts-drawn');
  }
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // ---- charts ----
  // Keys grouped by prefix, train/ and val/ first.
  function groupKeys(keys) {
    const groups = new Map();
    for (const key of keys.slice().sort()) {
      const slash = key.indexOf('/');
      const group = slash > 0 ? key.slice(0, slash) : 'other';
      if (!groups.has(group)) groups.set(group, []);
      groups.get(group).push(key);
    }
    const rank = (g) => (g === 'train' ? 0 : g === 'val' ? 1 : g === 'other' ? 3 : 2);
    return [...groups.entries()].sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]));
  }
  // The x of each point for the chosen axis: step, epoch, or seconds since the run started.
  function xs(series, axis, start) {
    if (axis === 'epoch') return series.epochs;
    if (axis === 'time') return series.wall_times.map((t) => t - start);
    return series.steps;
  }
  // Exponential moving average with bias correction (as TensorBoard smooths); nulls pass through.
  function ema(values, weight) {
    const out = [];
    let last = 0, count = 0;
    for (const v of values) {
      if (v === null || v === undefined || !isFinite(v)) { out.push(null); continue; }
      last = last * weight + (1 - weight) * v;
      count++;
      out.push(last / (1 - Math.pow(weight, count)));
    }
    return out;
  }
  // Rows [x, y1, y2, ...] sorted by x from several columns that may have different xs.
  function mergeRows(columns) {
    const rows = new Map();
    columns.forEach((column, index) => {
      column.x.forEach((x, i) => {
        if (x === null || x === undefined) return;
        if (!rows.has(x)) rows.set(x, [x].concat(new Array(columns.length).fill(null)));
        rows.get(x)[index + 1] = column.y[i];
      });
    });
    return [...rows.values()].sort((a, b) => a[0] - b[0]);
  }
  const axisLabel = { step: 'step', epoch: 'epoch', time: 'seconds since start' };

  function makeChart(container, spec) {
    const box = el('div', { class: 'chart', 'data-kind': spec.kind, 'data-key': spec.key || '' }, [
      el('h4', { text: spec.title }), el('div', { class: 'plot' }), spec.legend || null,
    ]);
    container.append(box);
    const graph = new Dygraph(box.querySelector('.plot'), spec.rows.length ? spec.rows : [[0].concat(spec.labels.slice(1).map(() => null))], {
      labels: spec.labels, xlabel: spec.xlabel, logscale: !!spec.log, colors: spec.colors, series: spec.series || {},
      width: box.querySelector('.plot').clientWidth || 560, height: 220, legend: 'follow', connectSeparatedPoints: true,
      labelsKMB: true, strokeWidth: 1.5, animatedZooms: false, zoomCallback: spec.onZoom, underlayCallback: spec.underlay,
    });
    const chart = { kind: spec.kind, key: spec.key, runs: spec.runs, labels: spec.labels, raw: spec.raw, graph, box };
    blocklab.charts.push(chart);
    return chart;
  }

  // ---- the runs page ----
  async function runsPage(root) {
    const state = { sort: 'id', descending: true, text: '', status: '', tag: '', selected: new Set(), runs: [] };
    const filterBox = el('input', { id: 'filter', type: 'search', placeholder: 'filter by name, experiment, tag…', oninput: (e) => { state.text = e.target.value.toLowerCase(); draw(); } });
    const statusSelect = el('select', { id: 'status-filter', onchange: (e) => { state.status = e.target.value; draw(); } },
      [el('option', { value: '', text: 'any status' })].concat(['running', 'finished', 'failed', 'crashed', 'killed'].map((s) => el('option', { value: s, text: s }))));
    const tagSelect = el('select', { id: 'tag-filter', onchange: (e) => { state.tag = e.target.value; draw(); } });
    const compareButton = el('button', { id: 'compare', onclick: () => { location.href = '/compare?runs=' + [...state.selected].join(','); } }, 'Compare selected');
    const holder = el('div', { id: 'runs' });
    root.replaceChildren(el('h1', { text: 'Runs' }), el('div', { class: 'controls' }, [filterBox, statusSelect, tagSelect, compareButton]), holder);
    const columns = [
      ['id', 'id', (o) => o.run.id], ['name', 'name', (o) => o.run.name], ['experiment', 'experiment', (o) => o.run.experiment],
      ['status', 'status', (o) => o.run.status], ['tags', 'tags', (o) => Object.entries(o.run.tags).map(([k, v]) => k + '=' + v).join(' ')],
      ['started', 'started', (o) => o.run.started_at], ['duration', 'duration', (o) => (o.run.ended_at || o.run.heartbeat_at) - o.run.started_at],
      ['best_val_loss', 'best val loss', (o) => o.best_val_loss], ['last_train_loss', 'last train loss', (o) => o.last_train_loss],
      ['points', 'points', (o) => o.metric_points],
    ];
    const show = { started: time, duration: duration, best_val_loss: number, last_train_loss: number };
    function draw() {
      const value = Object.fromEntries(columns.map(([key, , get]) => [key, get]));
      let runs = state.runs.filter((o) => {
        const tags = Object.entries(o.run.tags).map(([k, v]) => k + '=' + v);
        if (state.status && o.run.status !== state.status) return false;
        if (state.tag && !tags.includes(state.tag)) return false;
        if (state.text && ![o.run.name, o.run.experiment, String(o.run.id), tags.join(' ')].join(' ').toLowerCase().includes(state.text)) return false;
        return true;
      });
      runs.sort((a, b) => {
        const x = value[state.sort](a), y = value[state.sort](b);
        const order = x === y ? 0 : x === null || x === undefined ? 1 : y === null || y === undefined ? -1 : x < y ? -1 : 1;
        return state.descending ? -order : order;
      });
      compareButton.disabled = state.selected.size < 2;
      holder.replaceChildren(el('table', { id: 'runs-table' }, [
        el('thead', {}, el('tr', {}, [el('th', { text: '' })].concat(columns.map(([key, title]) => el('th', {
          class: 'sortable' + (state.sort === key ? (state.descending ? ' desc' : ' asc') : ''), 'data-sort': key,
          onclick: () => { state.descending = state.sort === key ? !state.descending : false; state.sort = key; draw(); },
        }, title))))),
        el('tbody', {}, runs.map((o) => el('tr', { 'data-run': o.run.id }, [
          el('td', {}, el('input', { type: 'checkbox', class: 'select', checked: state.selected.has(o.run.id), onchange: (e) => {
            if (e.target.checked) state.selected.add(o.run.id); else state.selected.delete(o.run.id); compareButton.disabled = state.selected.size < 2;
          } })),
        ].concat(columns.map(([key, , get]) => {
          if (key === 'name') return el('td', {}, el('a', { href: '/runs/' + o.run.id, text: o.run.name }));
          if (key === 'status') return el('td', {}, badge(o.run.status));
          const v = get(o);
          return el('td', { text: show[key] ? show[key](v) : v });
        }))))),
      ]), el('p', { class: 'count', text: runs.length + ' of ' + state.runs.length + ' runs' }));
    }
    async function load() {
      const list = await source.runs();
      state.runs = list.runs;
      const tags = new Set(list.runs.flatMap((o) => Object.entries(o.run.tags).map(([k, v]) => k + '=' + v)));
      const chosen = state.tag;
      tagSelect.replaceChildren(el('option', { value: '', text: 'any tag' }), ...[...tags].sort().map((t) => el('option', { value: t, text: t, selected: t === chosen })));
      draw();
    }
    await load();
    markDrawn();
    for (;;) { await sleep(3000); try { await load(); } catch (e) { /* the next look retries */ } }
  }

  // ---- one run ----
  // The run's console log: what its program printed (and BlockLab's own progress lines).
  // Each ask takes the lines after the last seq shown, a page at a time; a gap in seq is
  // where the store's bound dropped lines. Lines go in as text nodes, never as HTML.
  // The panel keeps its latest `consoleShown` lines; the rest are with `blocklab logs`.
  const consoleShown = 5000;
  function consolePanel(runId) {
    const box = el('div', { class: 'console', 'data-role': 'console' });
    const empty = el('p', { class: 'empty', text: 'Nothing printed yet.' });
    const node = el('div', {}, [box, empty]);
    let last = 0;
    async function load() {
      const atEnd = box.scrollHeight - box.scrollTop - box.clientHeight < 4;
      for (let page = 0; page < 25; page++) {  // at most 25,000 lines an ask: the store keeps 20,000
        const answer = await api('/api/runs/' + runId + '/console?after=' + last + '&limit=1000');
        for (const line of answer.lines) {
          if (line.seq > last + 1 && last > 0) {
            box.append(el('div', { class: 'console-gap', text: '… ' + (line.seq - last - 1) + ' lines dropped (a run keeps its first ' + answer.summary.keeps_first + ' and latest ' + answer.summary.keeps_latest + ')' }));
          }
          box.append(el('div', { class: 'console-line stream-' + line.stream, 'data-seq': line.seq, title: time(line.time) + (line.step === null ? '' : ' · step ' + line.step) },
            [el('span', { class: 'console-stream', text: line.stream === 'stdout' ? '' : line.stream }), el('span', { class: 'console-text', text: line.line })]));
          last = line.seq;
        }
        if (!answer.summary.more) break;
      }
      while (box.childElementCount > consoleShown) box.firstElementChild.remove();
      empty.hidden = last > 0;
      blocklab.consoleLines = last;
      if (atEnd) box.scrollTop = box.scrollHeight;
    }
    return { node, load };
  }

  async function runView(root, runId, options) {
    const live = !embedded;
    let detail = await source.run(runId);
    const settings = { axis: 'step', log: false, smoothing: 0.6 };
    const head = el('div', { class: 'run-head' });
    const controls = el('div', { class: 'controls' }, [
      el('label', {}, ['x axis ', el('select', { 'data-role': 'axis', onchange: (e) => { settings.axis = e.target.value; redraw(); } },
        ['step', 'epoch', 'time'].map((a) => el('option', { value: a, text: a === 'time' ? 'wall time' : a })))]),
      el('label', {}, [el('input', { type: 'checkbox', 'data-role': 'log', onchange: (e) => { settings.log = e.target.checked; redraw(); } }), ' log scale']),
      el('label', {}, ['smoothing ', el('input', { type: 'range', min: 0, max: 0.99, step: 0.01, value: settings.smoothing, 'data-role': 'smoothing',
        oninput: (e) => { settings.smoothing = Number(e.target.value); redraw(); } })]),
    ]);
    const metricsBox = el('div', { class: 'charts' });
    const hardwareBox = el('div', { class: 'charts' });
    const rest = el('div');
    // The console log comes from the live store only (a report's page has none embedded).
    const consoleLog = live ? consolePanel(runId) : null;
    root.replaceChildren(head, controls, el('h2', { text: 'Metrics' }), metricsBox, el('h2', { text: 'Hardware' }), hardwareBox,
      ...(consoleLog ? [el('h2', { text: 'Console' }), consoleLog.node] : []), rest);
    let series = [], hardware = null, charts = [];
    const width = () => Math.max(200, Math.round((metricsBox.clientWidth || 1100) / 2));

    function drawHead() {
      const run = detail.run;
      const best = detail.metrics.find((m) => m.key === 'val/loss' || m.key === 'val_loss');
      head.replaceChildren(
        el('h1', {}, [run.name + ' ', badge(run.status)]),
        el('dl', { class: 'facts' }, [
          ['id', run.id + ' · ' + run.uuid], ['experiment', run.experiment], ['started', time(run.started_at)],
          ['duration', duration((run.ended_at || run.heartbeat_at) - run.started_at)],
          ['best val loss', best ? number(best.min) + ' (step ' + best.min_step + ')' : ''],
          ['repository', (run.source_repo || '') + (run.source_commit ? ' @ ' + run.source_commit.slice(0, 12) : '')],
          ['command', run.command_line || ''], ['host', (run.hostname || '') + (run.pid ? ' pid ' + run.pid : '')],
          ['BlockLab', run.blocklab_version || ''],
        ].filter(([, v]) => v).flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })])),
        ...(run.error ? [el('p', { class: 'error', text: run.error })] : []));
    }
    function metricSpec(s) {
      const start = detail.run.started_at;
      const x = xs(s, settings.axis, start);
      // A few points (evaluations) are drawn as they are: an average of three hides more than it shows.
      const smooth = settings.smoothing > 0 && s.steps.length >= 50;
      const color = palette[0];
      const columns = [{ x, y: s.values }].concat(smooth ? [{ x, y: ema(s.values, settings.smoothing) }] : []);
      return {
        kind: 'metric', key: s.key, title: s.key + (s.downsampled ? '  (M4 of ' + (s.last_step - s.first_step + 1) + ' steps)' : ''),
        labels: [axisLabel[settings.axis], s.key].concat(smooth ? [s.key + ' (EMA)'] : []), rows: mergeRows(columns),
        xlabel: axisLabel[settings.axis], log: settings.log, raw: [s.key],
        colors: smooth ? ['rgba(31,119,180,0.3)', color] : [color],
        onZoom: live ? (lo, hi) => zoom(s.key, lo, hi) : undefined,
      };
    }
    async function zoom(key, lo, hi) {
      if (settings.axis !== 'step') return;  // epochs and times map to steps only through the points
      const chart = charts.find((c) => c.key === key);
      const whole = !chart.graph.isZoomed('x');
      const range = whole ? { keys: [key] } : { from: Math.floor(lo), to: Math.ceil(hi), keys: [key] };
      const fresh = (await source.metrics(runId, range, width())).series[0];
      chart.graph.updateOptions({ file: metricSpec(fresh).rows });
      if (whole) series = series.map((s) => (s.key === key ? fresh : s));
    }
    function hardwareSpecs() {
      if (!hardware || !hardware.times.length) return [];
      const start = detail.run.started_at;
      // Steps only when every sample has one: samples of phases other than training have none.
      const useStep = settings.axis === 'step' && hardware.steps.every((s) => s !== null);
      const x = useStep ? hardware.steps : hardware.times.map((t) => t - start);
      const label = useStep ? 'step' : 'seconds since start';
      const underlay = useStep ? undefined : phaseSpans(start);
      const specs = [];
      const add = (key, title, columns, names) => {
        if (!columns.some((c) => c.some((v) => v !== null))) return;
        specs.push({ kind: 'hardware', key, title, labels: [label].concat(names), rows: mergeRows(columns.map((y) => ({ x, y }))), xlabel: label, colors: palette.slice(0, names.length), raw: names, underlay });
      };
      add('cpu', 'CPU %', [hardware.cpu_percent], ['cpu %']);
      add('ram', 'RAM %', [hardware.ram_percent], ['ram %']);
      add('ram_bytes', 'RAM used (bytes)', [hardware.ram_used_bytes], ['ram used']);
      add('rss', 'process RSS (bytes)', [hardware.process_rss_bytes, hardware.process_rss_anon_bytes || []], ['rss', 'rss anon']);
      add('cpu_temp', 'CPU temperature °C', [hardware.cpu_temperature_c], ['cpu °C']);
      for (const gpu of hardware.gpus) {
        const name = 'gpu' + gpu.index;
        add(name + '_util', name + ' utilisation %' + (gpu.name ? ' (' + gpu.name + ')' : ''), [gpu.utilization_percent], [name + ' %']);
        add(name + '_memory', name + ' memory (bytes)', [gpu.memory_used_bytes, gpu.memory_total_bytes], [name + ' used', name + ' total']);
        add(name + '_temp', name + ' temperature °C', [gpu.temperature_c], [name + ' °C']);
        add(name + '_power', name + ' power W', [gpu.power_watts], [name + ' W']);
      }
      return specs;
    }
    // The run's phases as shaded spans behind a chart whose x is seconds since `start`, each named at its top.
    function phaseSpans(start) {
      const phases = detail.phases.filter((p) => p.started_at !== null);
      if (!phases.length) return undefined;
      return (canvas, area, g) => {
        canvas.save();
        canvas.font = '10px sans-serif';
        canvas.textBaseline = 'top';
        const drawn = [];
        phases.forEach((p, i) => {
          const left = Math.max(g.toDomXCoord(p.started_at - start), area.x);
          const right = Math.min(g.toDomXCoord((p.ended_at || detail.run.heartbeat_at) - start), area.x + area.w);
          if (right <= left) return;
          drawn.push(p.name);
          canvas.fillStyle = i % 2 ? 'rgba(31, 119, 180, 0.10)' : 'rgba(255, 127, 14, 0.12)';
          canvas.fillRect(left, area.y, right - left, area.h);
          canvas.fillStyle = '#555';
          canvas.fillText(p.name, left + 2, area.y + 2, Math.max(right - left - 4, 1));
        });
        canvas.restore();
        blocklab.phaseSpans = drawn;  // the spans last drawn, by name (what the page tests read)
      };
    }
    function redraw() {
      for (const chart of charts) { chart.graph.destroy(); blocklab.charts.splice(blocklab.charts.indexOf(chart), 1); }
      charts = [];
      metricsBox.replaceChildren();
      hardwareBox.replaceChildren();
      for (const [group, keys] of groupKeys(series.map((s) => s.key))) {
        const section = el('section', { class: 'group' }, el('h3', { text: group }));
        metricsBox.append(section);
        for (const key of keys) charts.push(makeChart(section, metricSpec(series.find((s) => s.key === key))));
      }
      if (!series.length) metricsBox.append(el('p', { class: 'empty', text: 'No metrics logged yet.' }));
      const specs = hardwareSpecs();
      for (const spec of specs) charts.push(makeChart(hardwareBox, spec));
      if (!specs.length) hardwareBox.append(el('p', { class: 'empty', text: 'No hardware samples.' }));
    }
    // Quick refresh of live charts: new data into the same dygraphs, zoom kept.
    function refreshCharts() {
      const byKey = new Map(series.map((s) => [s.key, s]));
      const hardwareByKey = new Map(hardwareSpecs().map((s) => [s.key, s]));
      const keys = new Set(series.map((s) => s.key));
      if (charts.filter((c) => c.kind === 'metric').length !== keys.size) return redraw();
      for (const chart of charts) {
        const spec = chart.kind === 'metric' ? (byKey.has(chart.key) ? metricSpec(byKey.get(chart.key)) : null) : hardwareByKey.get(chart.key);
        if (spec && !chart.graph.isZoomed()) chart.graph.updateOptions({ file: spec.rows });
      }
    }
    function drawDetails() {
      const run = detail.run;
      const parts = [];
      const start = run.started_at, end = Math.max(run.ended_at || run.heartbeat_at, ...detail.phases.map((p) => p.ended_at || run.heartbeat_at));
      const span = Math.max(end - start, 1e-6);
      parts.push(el('h2', { text: 'Phases' }), detail.phases.length ? el('div', { class: 'timeline' }, detail.phases.map((p) => {
        const left = ((p.started_at - start) / span) * 100, right = (((p.ended_at || end) - start) / span) * 100;
        return el('div', { class: 'phase' }, [el('span', { class: 'phase-name', text: p.name + ' · ' + p.status + (p.ended_at ? ' · ' + duration(p.ended_at - p.started_at) : '') }),
          el('div', { class: 'track' }, el('div', { class: 'bar status-' + p.status, style: 'left:' + left.toFixed(2) + '%;width:' + Math.max(right - left, 0.5).toFixed(2) + '%' }))]);
      })) : el('p', { class: 'empty', text: 'No phases.' }));
      parts.push(el('h2', { text: 'Checkpoints' }), detail.checkpoints.length ? table(['step', 'epoch', 'best', 'size', 'format', 'sha256', 'path'],
        detail.checkpoints.map((c) => [c.step, number(c.epoch), c.is_best ? '★ best' : '', bytes(c.bytes), c.format, el('code', { text: c.sha256.slice(0, 16) + '…', title: c.sha256 }), c.path]), { class: 'checkpoints' })
        : el('p', { class: 'empty', text: 'No checkpoints.' }));
      parts.push(el('h2', { text: 'Artifacts' }), detail.artifacts.length ? table(['kind', 'name', 'size', 'sha256', 'path'],
        detail.artifacts.map((a) => [a.kind, a.name, bytes(a.bytes), el('code', { text: a.sha256.slice(0, 16) + '…', title: a.sha256 }), a.path]))
        : el('p', { class: 'empty', text: 'No artifacts.' }));
      parts.push(el('h2', { text: 'Config' }), detail.config ? el('div', { class: 'config' }, [
        el('pre', { class: 'yaml', text: detail.config.yaml || JSON.stringify(JSON.parse(detail.config.resolved_json), null, 2) }),
        table(['key', 'value'], detail.params.map((p) => [p.key, p.value])),
      ]) : el('p', { class: 'empty', text: 'No config snapshot.' }));
      const tags = Object.entries(run.tags);
      parts.push(el('h2', { text: 'Tags and note' }), el('div', { class: 'tags', 'data-role': 'tags' }, tags.length ? tags.map(([k, v]) => el('span', { class: 'tag', text: k + '=' + v })) : 'no tags'),
        el('p', { class: 'note', 'data-role': 'note', text: run.note || '' }));
      if (live) parts.push(annotationForms());
      rest.replaceChildren(...parts);
    }
    function annotationForms() {
      const message = el('span', { class: 'message', 'data-role': 'annotation-message' });
      const post = async (path, body) => {
        try {
          detail = await api('/api/runs/' + runId + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
          drawDetails();
        } catch (e) { message.textContent = e.message; }
      };
      const key = el('input', { placeholder: 'key', 'data-role': 'tag-key', size: 10 }), value = el('input', { placeholder: 'value', 'data-role': 'tag-value', size: 14 });
      const note = el('textarea', { 'data-role': 'note-text', rows: 2, cols: 50 }, detail.run.note || '');
      return el('div', { class: 'annotate' }, [
        el('form', { onsubmit: (e) => { e.preventDefault(); post('/tags', { key: key.value, value: value.value }); } }, [key, value, el('button', { type: 'submit', text: 'Set tag' })]),
        el('form', { onsubmit: (e) => { e.preventDefault(); post('/note', { note: note.value }); } }, [note, el('button', { type: 'submit', text: 'Save note' })]),
        message]);
    }
    // Only the steps after those already drawn are asked for (one range read, not the whole
    // history again); the whole history is asked again when a key appears or the appended
    // tails have grown the series past 8 points per pixel.
    async function withNewPoints(current, next) {
      const known = new Map(current.map((s) => [s.key, s]));
      const keys = next.metrics.map((m) => m.key);
      const whole = () => source.metrics(runId, null, width()).then((m) => m.series);
      if (!current.length || keys.some((k) => !known.has(k) || known.get(k).last_step === null)) return whole();
      const from = Math.min(...current.map((s) => s.last_step)) + 1;
      const tails = new Map((await source.metrics(runId, { from }, width())).series.map((t) => [t.key, t]));
      const merged = current.map((s) => {
        const tail = tails.get(s.key);
        if (!tail) return s;
        const keep = tail.steps.map((step, i) => (step > s.last_step ? i : -1)).filter((i) => i >= 0);
        if (!keep.length) return s;
        const pick = (column) => keep.map((i) => column[i]);
        return Object.assign({}, s, {
          steps: s.steps.concat(pick(tail.steps)), values: s.values.concat(pick(tail.values)),
          epochs: s.epochs.concat(pick(tail.epochs)), wall_times: s.wall_times.concat(pick(tail.wall_times)),
          last_step: tail.last_step, downsampled: s.downsampled || tail.downsampled,
        });
      });
      return merged.some((s) => s.steps.length > 8 * width()) ? whole() : merged;
    }
    const signature = (d) => d.run.status + '|' + d.metrics.map((m) => m.key + ':' + m.count + ':' + m.last_step).join(',') + '|' + d.hardware_peaks.samples;

    drawHead();
    [series, hardware] = await Promise.all([source.metrics(runId, null, width()).then((m) => m.series), source.hardware(runId, 2000),
      consoleLog ? consoleLog.load() : null]);
    redraw();
    drawDetails();
    if (options && options.onDrawn) options.onDrawn();
    // Live: look again every poll_seconds while the run is running; a run that dies turns crashed.
    while (live && detail.run.status === 'running') {
      await sleep(detail.poll_seconds * 1000);
      let next;
      try { next = await source.run(runId); } catch (e) { document.getElementById('live').textContent = e.message; continue; }
      blocklab.polls++;
      document.getElementById('live').textContent = next.run.status === 'running' ? '● live' : '';
      // New lines whether or not a metric moved; once more after the run ends, for its last lines.
      try { await consoleLog.load(); } catch (e) { document.getElementById('live').textContent = e.message; }
      if (signature(next) === signature(detail)) continue;
      detail = next;
      [series, hardware] = await Promise.all([withNewPoints(series, detail), source.hardware(runId, 2000)]);
      blocklab.lastChange = Date.now();
      blocklab.lastChangePoll = blocklab.polls;  // the poll whose answer this redraw shows
      drawHead();
      refreshCharts();
      drawDetails();
    }
    document.getElementById('live') && (document.getElementById('live').textContent = '');
  }

  // ---- compare ----
  async function compareView(root, ids) {
    const data = await source.compare(ids, 1000);
    const settings = { axis: 'step', log: false, all: false };
    const colors = data.runs.map((_, i) => palette[i % palette.length]);
    const chartsBox = el('div', { class: 'charts' });
    const configBox = el('div');
    root.replaceChildren(
      el('h1', { text: 'Compare ' + data.runs.length + ' runs' }),
      el('ul', { class: 'run-legend' }, data.runs.map((run, i) => el('li', {}, [el('span', { class: 'swatch', style: 'background:' + colors[i] }),
        embedded ? run.name : el('a', { href: '/runs/' + run.id, text: run.name }), ' #' + run.id + ' ', badge(run.status)]))),
      el('div', { class: 'controls' }, [
        el('label', {}, ['x axis ', el('select', { 'data-role': 'axis', onchange: (e) => { settings.axis = e.target.value; draw(); } }, ['step', 'epoch', 'time'].map((a) => el('option', { value: a, text: a === 'time' ? 'wall time' : a })))]),
        el('label', {}, [el('input', { type: 'checkbox', 'data-role': 'log', onchange: (e) => { settings.log = e.target.checked; draw(); } }), ' log scale']),
      ]),
      el('h2', { text: 'Metrics' }), chartsBox, el('h2', { text: 'Config' }), configBox);
    let charts = [];
    function draw() {
      for (const chart of charts) { chart.graph.destroy(); blocklab.charts.splice(blocklab.charts.indexOf(chart), 1); }
      charts = [];
      chartsBox.replaceChildren();
      const names = data.runs.map((r) => r.name + ' #' + r.id);
      for (const [group, keys] of groupKeys(Object.keys(data.series))) {
        const section = el('section', { class: 'group' }, el('h3', { text: group }));
        chartsBox.append(section);
        for (const key of keys) {
          const row = data.comparison.metrics.find((m) => m.key === key);
          const columns = data.series[key].map((s, i) => ({ x: xs(s, settings.axis, data.runs[i].started_at), y: s.values }));
          const legend = table(['run', 'last', 'min', 'max'], data.runs.map((run, i) => {
            const summary = row && row.runs[i];
            return [el('span', {}, [el('span', { class: 'swatch', style: 'background:' + colors[i] }), names[i]]),
              summary ? number(summary.last) : '—', summary ? number(summary.min) : '—', summary ? number(summary.max) : '—'];
          }), { class: 'legend-table' });
          charts.push(makeChart(section, { kind: 'compare', key, title: key, labels: [axisLabel[settings.axis]].concat(names), raw: names,
            rows: mergeRows(columns), xlabel: axisLabel[settings.axis], log: settings.log, colors, runs: data.runs.map((r) => r.id), legend }));
        }
      }
    }
    function drawConfig() {
      const rows = data.params.filter((p) => settings.all || p.differs);
      configBox.replaceChildren(
        el('label', {}, [el('input', { type: 'checkbox', 'data-role': 'all-keys', checked: settings.all, onchange: (e) => { settings.all = e.target.checked; drawConfig(); } }), ' show keys that are the same too']),
        el('p', { class: 'count', text: data.params.filter((p) => p.differs).length + ' of ' + data.params.length + ' config keys differ' }),
        el('table', { class: 'config-diff', 'data-role': 'config-diff' }, [
          el('thead', {}, el('tr', {}, [el('th', { text: 'key' })].concat(headerCells()))),
          el('tbody', {}, rows.map((p) => el('tr', { class: p.differs ? 'differs' : '', 'data-key': p.key }, [el('td', { text: p.key })].concat(p.values.map((v) => el('td', { text: v === null ? '—' : v })))))),
        ]));
    }
    const headerCells = () => data.runs.map((r, i) => el('th', {}, [el('span', { class: 'swatch', style: 'background:' + colors[i] }), r.name + ' #' + r.id]));
    draw();
    drawConfig();
  }

  // ---- SQL ----
  async function sqlPage(root) {
    const box = el('textarea', { id: 'sql-query', rows: 6, spellcheck: 'false' }, 'SELECT id, name, status, best_val_loss, last_train_loss FROM run_summary ORDER BY id DESC');
    const output = el('div', { id: 'sql-output' });
    const csv = el('a', { id: 'sql-csv', class: 'button', text: 'Download CSV' });
    const schema = el('ul', { id: 'sql-schema' });
    async function run() {
      // The server caps rows (10000) and bytes; the CSV asks for as many rows as it allows.
      csv.href = '/api/sql?format=csv&max_rows=10000&q=' + encodeURIComponent(box.value);
      try {
        const result = await api('/api/sql?q=' + encodeURIComponent(box.value));
        const cells = (rows) => rows.map((r) => r.map((v) => (v === null ? 'NULL' : typeof v === 'number' ? number(v) : v)));
        // Several statements: a table each, the last one with id sql-result.
        const statements = result.results || [{ columns: result.columns, rows: result.rows }];
        const tables = statements.map((s, i) => table(s.columns, cells(s.rows), i === statements.length - 1 ? { id: 'sql-result' } : {}));
        const rows = statements.reduce((n, s) => n + s.rows.length, 0);
        output.replaceChildren(...tables,
          el('p', { class: 'count', id: 'sql-count', text: rows + ' rows' + (result.notice ? ' (' + result.notice + ')' : '') }));
      } catch (e) {
        output.replaceChildren(el('p', { class: 'error', id: 'sql-error', text: e.message }));
      }
    }
    root.replaceChildren(el('div', { class: 'sql' }, [
      el('div', { class: 'sql-main' }, [el('h1', { text: 'SQL' }), el('p', { class: 'hint', text: 'Read-only: the same guard as `blocklab sql` (read-only connection, authorizer), with a time limit, a row cap and a byte cap.' }),
        box, el('div', { class: 'controls' }, [el('button', { id: 'sql-run', onclick: run, text: 'Run' }), csv]), output]),
      el('aside', {}, [el('h3', { text: 'Tables and views' }), schema]),
    ]));
    box.addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) run(); });
    const tables = await api('/api/schema');
    schema.replaceChildren(...tables.rows.map(([name, type]) => el('li', {}, el('a', { href: '#', onclick: (e) => { e.preventDefault(); box.value = 'SELECT * FROM ' + name + ' LIMIT 100'; run(); } }, [name, el('span', { class: 'type', text: ' ' + type })]))));
    await run();
    markDrawn();
  }

  // ---- the report: compare (several runs) then each run ----
  async function reportPage(root) {
    root.replaceChildren();
    const header = el('p', { class: 'hint', text: 'Report generated ' + time(embedded.generated_at) + ' from ' + embedded.store + '. Histories are M4-downsampled; open `blocklab ui` for full resolution.' });
    root.append(header);
    if (embedded.compare) {
      const section = el('section', { class: 'report-compare' });
      root.append(section);
      await compareView(section, embedded.runs.map((r) => r.run.id));
    }
    for (const detail of embedded.runs) {
      const section = el('section', { class: 'report-run', 'data-run': detail.run.id });
      root.append(section);
      await runView(section, detail.run.id);
    }
  }

  async function start() {
    const root = document.getElementById('main');
    try {
      if (page === 'runs') await runsPage(root);
      else if (page === 'run') await runView(root, document.body.dataset.run, { onDrawn: markDrawn });
      else if (page === 'compare') { await compareView(root, document.body.dataset.runs.split(',')); markDrawn(); }
      else if (page === 'sql') await sqlPage(root);
      else if (page === 'report') { await reportPage(root); markDrawn(); }
    } catch (e) {
      showError(root, e);
      blocklab.error = e.message;
    }
  }
  start();
})();
