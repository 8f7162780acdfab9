// tickflow dashboard: history from the HTTP API, then live bars and signals over the WebSocket.
// Plain browser JavaScript, no build step; lightweight-charts' standalone build defines
// window.LightweightCharts. window.tickflow exposes the page's state for tests.
'use strict';
(() => {
  const LC = window.LightweightCharts;
  const FIVE_MIN = 300_000;
  const HISTORY_BARS = 4032; // two weeks of 5-minute bars
  const OPTION_FEATURES = ['pcr_oi', 'pcr_volume', 'pcr_premium', 'max_pain_dist', 'atm_iv', 'iv_skew_5', 'gex_total', 'gamma_flip'];
  const params = new URLSearchParams(location.search);
  const token = params.get('token');
  const $ = (id) => document.getElementById(id);
  const css = getComputedStyle(document.documentElement);
  const color = (name) => css.getPropertyValue(name).trim();
  const UP = color('--up'), DOWN = color('--down'), FLAT = color('--flat'), ACCENT = color('--accent');

  const state = {
    symbol: null,
    symbols: [],
    bars: 0,
    signals: 0,
    markers: 0,
    liveBars: 0,
    liveSignals: 0,
    loading: false,
    connected: false,
    loadedSymbol: null,
    lastSignal: null,
    /** Points of the expected-move pane (signals with forward-return heads). */
    expectedPoints: 0,
    /** The latest signal's contributions as shown, and the open position drawn as price lines. */
    contributions: [],
    position: null,
    priceLines: 0,
    modelCard: null,
    /** The latest signal's option contract as shown ({right, strike, expiry, premium, premiumSource, iv}), null when it names none. */
    contract: null,
    /** Tear sheet requests: 'idle' | 'generating' | 'ready' | 'failed'. */
    tearSheet: 'idle',
    /** ms after navigation start when the first history was drawn (for the page benchmark). */
    firstRenderMs: null,
  };
  window.tickflow = { state };

  function withToken(path) {
    if (!token) return path;
    return path + (path.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token);
  }

  async function api(path) {
    const res = await fetch(withToken(path));
    const body = await res.json();
    if (!res.ok) throw new Error(`${path}: ${res.status} ${body.error || ''}`);
    return body;
  }

  function showError(message) {
    const el = $('error');
    el.textContent = message;
    el.hidden = !message;
  }

  // ---- chart -------------------------------------------------------------------------------
  const chart = LC.createChart($('chart'), {
    autoSize: true,
    layout: {
      background: { type: 'solid', color: color('--bg') },
      textColor: color('--muted'),
      fontSize: 11,
      panes: { separatorColor: color('--line'), enableResize: true },
    },
    grid: { vertLines: { color: '#1a2029' }, horzLines: { color: '#1a2029' } },
    rightPriceScale: { borderColor: color('--line') },
    timeScale: { borderColor: color('--line'), timeVisible: true, secondsVisible: false, rightOffset: 6 },
    crosshair: { mode: LC.CrosshairMode.Normal },
  });
  const candles = chart.addSeries(LC.CandlestickSeries, {
    upColor: UP, downColor: DOWN, borderVisible: false, wickUpColor: UP, wickDownColor: DOWN,
  });
  const volume = chart.addSeries(LC.HistogramSeries, { priceFormat: { type: 'volume' }, priceScaleId: 'vol', lastValueVisible: false, priceLineVisible: false });
  volume.priceScale().applyOptions({ scaleMargins: { top: 0.82, bottom: 0 } });
  const markers = LC.createSeriesMarkers(candles, []);
  const line = (c, title, style) => chart.addSeries(LC.LineSeries, {
    color: c, lineWidth: 1.5, title, lineStyle: style || 0, priceLineVisible: false, lastValueVisible: true,
    priceFormat: { type: 'custom', minMove: 0.1, formatter: (v) => `${v.toFixed(0)}%` },
  }, 1);
  // Values are given as percentages (probability * 100).
  const pUp = line(UP, 'P(up)');
  const pDown = line(DOWN, 'P(down)');
  const conf = line(ACCENT, 'confidence', 2);
  // Third pane: the expected forward move (log return, %) with its q10–q90 band, from the
  // model's forward-return heads; empty for a model without heads.
  const moveLine = (c, title, style, width) => chart.addSeries(LC.LineSeries, {
    color: c, lineWidth: width, title, lineStyle: style, priceLineVisible: false, lastValueVisible: true,
    priceFormat: { type: 'custom', minMove: 0.001, formatter: (v) => `${v >= 0 ? '+' : ''}${v.toFixed(2)}%` },
  }, 2);
  const q90Line = moveLine('rgba(38,166,154,0.7)', 'q90', 2, 1);
  const expLine = moveLine('#e3b341', 'expected', 0, 1.5);
  const q10Line = moveLine('rgba(239,83,80,0.7)', 'q10', 2, 1);
  // Candles take most of the height; probabilities and the expected move share the rest.
  chart.panes()[0].setStretchFactor(5);
  chart.panes()[1].setStretchFactor(1.3);
  chart.panes()[2].setStretchFactor(1.1);
  const hasHeads = (s) => s.q10 !== null && s.q10 !== undefined && s.q90 !== null && s.q90 !== undefined;
  const movePoints = (list, key) => list.filter(hasHeads).map((s) => ({ time: signalTime(s), value: (s[key] ?? s.q50) * 100 }));

  // The option panel's small chart: ATM IV (right scale, %) and put/call ratio by OI (left scale).
  const optionChart = LC.createChart($('options-chart'), {
    autoSize: true,
    layout: { background: { type: 'solid', color: color('--panel') }, textColor: color('--muted'), fontSize: 10, attributionLogo: false },
    grid: { vertLines: { visible: false }, horzLines: { color: '#1f262f' } },
    rightPriceScale: { borderVisible: false },
    leftPriceScale: { visible: true, borderVisible: false },
    timeScale: { borderVisible: false, timeVisible: true, secondsVisible: false },
    handleScroll: false,
    handleScale: false,
  });
  const ivLine = optionChart.addSeries(LC.LineSeries, { color: '#e3b341', lineWidth: 1.5, priceLineVisible: false, priceFormat: { type: 'custom', minMove: 0.01, formatter: (v) => `${v.toFixed(1)}%` } });
  const pcrLine = optionChart.addSeries(LC.LineSeries, { color: '#a371f7', lineWidth: 1.5, priceLineVisible: false, priceScaleId: 'left' });

  let barData = [];
  let markerList = [];
  let signalList = []; // the signals shown, oldest first (for the open position)
  let positionLines = [];
  let forming = null; // the 5-minute candle being built from live 1-minute bars

  const candleOf = (b) => ({ time: b.start / 1000, open: b.open, high: b.high, low: b.low, close: b.close });
  const volumeOf = (b) => ({ time: b.start / 1000, value: b.volume, color: b.close >= b.open ? 'rgba(38,166,154,0.35)' : 'rgba(239,83,80,0.35)' });
  const signalTime = (s) => (s.barEnd - FIVE_MIN) / 1000;

  function markerOf(s) {
    const t = signalTime(s);
    // An option underlying's trade shows its contract on the marker (C/P and strike).
    const text = s.contract ? `${s.contract.right === 'CALL' ? 'C' : 'P'} ${s.contract.strike}` : undefined;
    if (s.action === 'BUY') return { time: t, position: 'belowBar', shape: 'arrowUp', color: UP, ...(text ? { text } : {}) };
    if (s.action === 'SELL') return { time: t, position: 'aboveBar', shape: 'arrowDown', color: DOWN, ...(text ? { text } : {}) };
    return { time: t, position: 'belowBar', shape: 'circle', color: 'rgba(138,147,160,0.45)', size: 0.3 };
  }

  function lastTime() {
    return barData.length ? barData[barData.length - 1].time : -Infinity;
  }

  function applyBar(b) {
    if (b.interval === '5m') {
      const c = candleOf(b);
      if (c.time < lastTime()) return; // older than the chart: already in the history
      if (c.time === lastTime()) barData[barData.length - 1] = c;
      else barData.push(c);
      candles.update(c);
      volume.update(volumeOf(b));
      forming = null;
      state.bars = barData.length;
      updateQuote(b.close);
      updatePosition();
    } else if (b.interval === '1m') {
      const start = Math.floor(b.start / FIVE_MIN) * FIVE_MIN;
      const t = start / 1000;
      if (t < lastTime()) return;
      if (!forming || forming.time !== t) {
        forming = { time: t, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume };
      } else {
        forming.high = Math.max(forming.high, b.high);
        forming.low = Math.min(forming.low, b.low);
        forming.close = b.close;
        forming.volume += b.volume;
      }
      const c = { time: t, open: forming.open, high: forming.high, low: forming.low, close: forming.close };
      if (t === lastTime()) barData[barData.length - 1] = c;
      else barData.push(c);
      candles.update(c);
      volume.update(volumeOf({ start, open: c.open, close: c.close, volume: forming.volume }));
      updateQuote(b.close);
    }
  }

  function applySignal(s, live) {
    const t = signalTime(s);
    const m = markerOf(s);
    if (markerList.length && markerList[markerList.length - 1].time >= t) return;
    markerList.push(m);
    markers.setMarkers(markerList);
    pUp.update({ time: t, value: s.pUp * 100 });
    pDown.update({ time: t, value: s.pDown * 100 });
    conf.update({ time: t, value: s.confidence * 100 });
    if (hasHeads(s)) {
      q90Line.update({ time: t, value: s.q90 * 100 });
      expLine.update({ time: t, value: (s.expectedReturn ?? s.q50) * 100 });
      q10Line.update({ time: t, value: s.q10 * 100 });
      state.expectedPoints++;
    }
    signalList.push(s);
    state.signals++;
    state.markers = markerList.length;
    if (live) state.liveSignals++;
    showSignal(s);
    updatePosition();
  }

  // ---- open position: stop and target as price lines on the candles --------------------------
  function updatePosition() {
    const tail = [];
    const last = signalList.length ? signalList[signalList.length - 1] : null;
    // Only bars since the latest BUY/SELL matter; the tail is short (a position lasts hours).
    let since = Infinity;
    for (let i = signalList.length - 1; i >= 0; i--) if (signalList[i].action !== 'HOLD') { since = signalList[i].barEnd; break; }
    for (let i = barData.length - 1; i >= 0 && barData[i].time * 1000 >= since; i--) tail.unshift({ start: barData[i].time * 1000, high: barData[i].high, low: barData[i].low });
    const r = window.tickflowPosition.openPosition(signalList, tail);
    const p = r.position;
    const same = p && state.position && state.position.id === p.signal.id;
    if (!same) {
      for (const l of positionLines) candles.removePriceLine(l);
      positionLines = [];
      if (p) {
        const side = p.side === 'long' ? 'long' : 'short';
        if (p.stop !== null) positionLines.push(candles.createPriceLine({ price: p.stop, color: DOWN, lineWidth: 1, lineStyle: LC.LineStyle.Dashed, axisLabelVisible: true, title: `stop (${side})` }));
        if (p.target !== null) positionLines.push(candles.createPriceLine({ price: p.target, color: UP, lineWidth: 1, lineStyle: LC.LineStyle.Dashed, axisLabelVisible: true, title: `target (${side})` }));
      }
    }
    state.position = p ? { id: p.signal.id, side: p.side, stop: p.stop, target: p.target, size: p.size, expiresAt: p.expiresAt } : null;
    state.priceLines = positionLines.length;
    const el = $('position');
    if (p) {
      el.innerHTML = rows([
        ['open position', `<span class="${p.side === 'long' ? 'good' : 'bad'}">${p.side}</span> since ${time(p.signal.barEnd).slice(11)}${p.size !== null ? ` · size ${pct(p.size, 0)}` : ''}`],
        ['stop / target', `${fmt(p.stop)} / ${fmt(p.target)}`],
        ['expires', p.expiresAt !== null ? time(p.expiresAt).slice(5) : '—'],
      ]);
    } else {
      el.innerHTML = rows([['open position', `<span style="color:var(--muted)">none${last && r.closed && r.closed !== 'no BUY or SELL signal' ? ` (last one ${esc(r.closed)})` : ''}</span>`]]);
    }
  }

  // ---- side panels -------------------------------------------------------------------------
  const fmt = (x, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));
  const pct = (x, d = 1) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(d)}%`);
  const time = (ms) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  const signedPct = (x, d = 2) => (x === null || x === undefined ? '—' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(d)}%`);
  // A pair whose class is 'raw' is a whole row of HTML (the per-band table of the model card).
  const rows = (pairs) => pairs.map(([k, v, cls]) => (cls === 'raw' ? v : `<tr><td>${esc(k)}</td><td class="${cls || ''}">${v}</td></tr>`)).join('');

  let firstClose = null;
  function updateQuote(close) {
    const first = barData.length ? barData[0].open : close;
    firstClose = first;
    const chg = (close - first) / first;
    $('quote').innerHTML = `${esc(state.symbol)} ${fmt(close)} <span class="chg ${chg >= 0 ? 'up' : 'down'}">${chg >= 0 ? '+' : ''}${(chg * 100).toFixed(2)}%</span>`;
    $('legend').innerHTML = `<b>${esc(state.symbol)}</b> · 5m · ${barData.length} bars`;
  }

  function showSignal(s) {
    state.lastSignal = s;
    const el = $('signal');
    el.className = '';
    el.innerHTML = `
      <div class="action ${s.action}">${s.action} <span style="font-size:13px;color:var(--muted)">${pct(s.confidence, 0)} confidence</span></div>
      <div class="probs" title="P(down) / P(flat) / P(up)">
        <span style="width:${s.pDown * 100}%;background:${DOWN}"></span>
        <span style="width:${s.pFlat * 100}%;background:${FLAT}"></span>
        <span style="width:${s.pUp * 100}%;background:${UP}"></span>
      </div>
      <table>${rows([
        ['up / flat / down', `${pct(s.pUp)} / ${pct(s.pFlat)} / ${pct(s.pDown)}`],
        ...(s.action === 'HOLD' && s.reason ? [['why HOLD', esc(s.reason)]] : []),
        ...(s.contract ? [['contract', contractHtml(s.contract)]] : []),
        ...(s.action !== 'HOLD' && !s.contract && s.reason ? [['no contract', `<span id="no-contract">${esc(s.reason)}</span>`]] : []),
        ['expected move', hasHeads(s) ? `<span id="expected">${signedPct(s.expectedReturn ?? s.q50)}</span>` : '—'],
        ['q10 – q90', hasHeads(s) ? `<span id="band">${signedPct(s.q10)} … ${signedPct(s.q90)}</span>` : '—'],
        ...(s.action !== 'HOLD' && (s.size ?? null) !== null ? [['size', pct(s.size, 0)]] : []),
        ...(s.action !== 'HOLD' && ((s.stop ?? null) !== null || (s.target ?? null) !== null) ? [['stop / target', `${fmt(s.stop)} / ${fmt(s.target)}`]] : []),
        ['bar close', time(s.barEnd)],
        ['model', s.modelId ? `<code>${esc(s.modelId)}</code>` : '—'],
        ['inputs', s.inputs ? `${s.inputs.reduce((n, r) => n + r.toOffset - r.fromOffset + 1, 0)} events` : '—'],
      ])}</table>
      <h3>why ${esc(s.action)}: top features</h3>
      <div id="why">${whyHtml(s)}</div>`;
    state.contributions = (s.contributions || []).map((c) => ({ feature: c.feature, value: c.value }));
    state.contract = s.contract ? { right: s.contract.right, strike: s.contract.strike, expiry: s.contract.expiry, premium: s.contract.premium, premiumSource: s.contract.premiumSource, iv: s.contract.iv } : null;
  }

  /** The option contract a signal names: right, strike, expiry, premium (mid or last) and IV. */
  function contractHtml(c) {
    return `<span id="contract" title="from the option chain at ${esc(time(c.chainAt))}">${esc(c.underlying)} ${esc(c.right)} ${fmt(c.strike, 0)} exp ${esc(time(c.expiry))}<br>premium ${fmt(c.premium)} (${esc(c.premiumSource.toLowerCase())}) · IV ${pct(c.iv)}</span>`;
  }

  /** The signal's top feature contributions to its chosen class, as signed bars. */
  function whyHtml(s) {
    if (s.contributions === undefined) return '—';
    const list = s.contributions;
    if (!list.length) return '<span class="empty">the model gives no contributions</span>';
    const max = Math.max(...list.map((c) => Math.abs(c.value))) || 1;
    return list.map((c) => `<div class="why-row" title="${esc(c.feature)}: ${c.value.toFixed(4)} (centered logit)">
        <span class="why-name">${esc(c.feature)}</span>
        <span class="why-bar"><span style="width:${(Math.abs(c.value) / max) * 100}%;background:${c.value >= 0 ? UP : DOWN}"></span></span>
        <span class="why-val">${c.value >= 0 ? '+' : ''}${c.value.toFixed(3)}</span></div>`).join('');
  }

  async function refreshHealth() {
    try {
      const h = await api('/api/health');
      const lat = h.latencyMs || {};
      $('health').innerHTML = rows([
        ['status', h.status === 'ok' ? '<span class="good">ok</span>' : `<span class="bad">${esc(h.status)}</span>`],
        ['lag behind feed', h.lagMs === null ? '—' : `${fmt(h.lagMs, 1)} ms`],
        ['signal latency p50 / p99', lat.count ? `${fmt(lat.p50, 1)} / ${fmt(lat.p99, 1)} ms` : '—'],
        ['inputs', fmt(h.inputs, 0)],
        ['late events', fmt(h.late, 0), h.late > 0 ? 'bad' : ''],
        ['dead letters', fmt(h.deadLetters, 0), h.deadLetters > 0 ? 'bad' : ''],
        ['live clients', fmt(h.wsClients, 0)],
        ['dropped clients', fmt(h.wsDropped, 0)],
      ]);
    } catch (e) {
      $('health').innerHTML = rows([['status', `<span class="bad">${esc(e.message)}</span>`]]);
    }
  }

  let tearSheetError = null;

  /** Asks the server for the current model's tear sheet, then follows its generation until it ends. */
  async function generateTearSheet() {
    if (state.tearSheet === 'generating') return;
    state.tearSheet = 'generating';
    tearSheetError = null;
    void loadModel();
    try {
      const res = await fetch(withToken('/api/tear-sheet?generate=true'));
      const body = await res.json();
      // 503 = one is already being generated: follow that one.
      if (!res.ok && res.status !== 503) throw new Error(body.error || `HTTP ${res.status}`);
      if (!(res.ok && body.state === 'ready')) {
        for (;;) {
          await new Promise((r) => setTimeout(r, 1000));
          const st = await api('/api/tear-sheet');
          if (st.state === 'failed') throw new Error(st.reason);
          if (st.state !== 'generating') break;
        }
      }
      state.tearSheet = 'ready';
    } catch (e) {
      state.tearSheet = 'failed';
      tearSheetError = e.message;
    }
    void loadModel();
  }
  $('model').addEventListener('click', (ev) => {
    if (ev.target && ev.target.id === 'tearsheet-generate') {
      ev.preventDefault();
      void generateTearSheet();
    }
  });

  // Live hit rate per confidence band (the latest health report's `bands`) against the model's
  // validation bands: a header row, then one row per band with live or validation rows; "waiting
  // for labels" until a band has matured signals. A difference is named only when the report
  // claims one (both sides at least the minimum sample, Wilson intervals apart; D78).
  function bandTable(validation, h) {
    if (!validation || !validation.length) return [['hit rate by confidence', '<span style="color:var(--muted)">not in the manifest</span>']];
    const live = h && h.bands ? h.bands : null;
    if (!live || !live.some((b) => b.matured > 0)) {
      const n = validation.reduce((s, b) => s + b.count, 0);
      return [['hit rate by confidence', `<span id="bands-waiting" style="color:var(--muted)">waiting for labels · validation: ${validation.length} bands, ${fmt(n, 0)} test rows</span>`]];
    }
    const range = (lo, hi) => (lo === null || lo === undefined ? '—' : `${pct(lo, 0)}–${pct(hi, 0)}`);
    const verdict = (b) => {
      if (b.smallSample) return '<span style="color:var(--muted)">small sample</span>';
      if (b.difference === 'below') return '<span class="bad">below</span>';
      if (b.difference === 'above') return '<span class="good">above</span>';
      return '≈';
    };
    const body = live
      .filter((b) => b.matured > 0 || b.validationCount > 0)
      .map((b) => `<tr data-band="${fmt(b.from, 2)}"><td>${fmt(b.from, 2)}–${fmt(b.to, 2)}</td><td>${pct(b.hitRate)} <span style="color:var(--muted)">${fmt(b.matured, 0)} · ${range(b.ci95Lo, b.ci95Hi)}</span></td><td>${pct(b.validationHitRate)} <span style="color:var(--muted)">${fmt(b.validationCount, 0)} · ${range(b.validationCi95Lo, b.validationCi95Hi)}</span></td><td>${verdict(b)}</td></tr>`)
      .join('');
    const html = `<tr><td colspan="2"><table id="model-bands" class="bands"><tr><th>confidence</th><th>live · n · 95% CI</th><th>validation · n · 95% CI</th><th></th></tr>${body}</table></td></tr>`;
    return [['hit rate by confidence', `<span style="color:var(--muted)">last ${fmt(h.matured, 0)} matured signals, Wilson 95% intervals</span>`], ['', html, 'raw']];
  }

  async function loadModel() {
    try {
      const m = await api(state.symbol ? `/api/model?symbol=${encodeURIComponent(state.symbol)}` : '/api/model');
      const layers = m.architecture ? m.architecture.layers.map((l) => l.units).join('-') : null;
      const vs = (a, b) => `${fmt(a, 3)} <span style="color:var(--muted)">vs ${fmt(b, 3)}</span>`;
      const pairs = [
        ['id', `<code>${esc(m.modelId)}</code>`],
        ['family', esc(m.family || (layers ? `dense network ${layers}` : '—'))],
        ['features', `${(m.featureNames || []).length} · <code>${esc(String(m.featureSetHash || '').slice(0, 12))}</code>`],
      ];
      if (m.metrics && m.baseline) {
        pairs.push(['test accuracy (vs baseline)', vs(m.metrics.accuracy, m.baseline.accuracy)]);
        pairs.push(['macro AUC (vs baseline)', vs(m.metrics.macroAuc, m.baseline.macroAuc)]);
        pairs.push(['log loss (vs baseline)', vs(m.metrics.logLoss, m.baseline.logLoss)]);
        pairs.push(['test rows', fmt(m.metrics.n, 0)]);
      }
      if (m.split) pairs.push(['test period', `${time(m.split.test.firstBarEnd).slice(0, 10)} → ${time(m.split.test.lastBarEnd).slice(0, 10)}`]);
      const card = m.card || {};
      const ok = (b) => (b ? '<span class="good">✓</span>' : '<span class="bad">✗</span>');
      if (card.gatesPassed !== null && card.gatesPassed !== undefined) {
        pairs.push(['gates', card.gatesPassed ? '<span class="good">passed</span>' : '<span class="bad">FAILED</span>']);
        for (const g of card.gates || []) {
          const mark = g.status === 'skipped' ? '<span style="color:var(--muted)">skipped</span>' : ok(g.status === 'passed');
          pairs.push([`· ${g.name}`, `<span title="${esc(g.rule)}">${g.value === null ? '—' : fmt(g.value, g.name === 'rows-per-class' ? 0 : 3)} ${mark}</span>`]);
        }
      } else pairs.push(['gates', '<span style="color:var(--muted)">not recorded (model trained before gates)</span>']);
      const cal = card.calibration;
      pairs.push(['calibration', cal ? `${esc(cal.method)} · ECE ${fmt(cal.eceBefore, 3)} → ${fmt(cal.eceAfter, 3)}${cal.holdoutEce !== null ? ` (test ${fmt(cal.holdoutEce, 3)})` : ''}` : '—']);
      const ci = card.validationHitRate;
      const h = card.health && state.symbol ? card.health[state.symbol] : null;
      const inCi = h && h.hitRate !== null && ci ? h.hitRate >= ci[0] && h.hitRate <= ci[1] : null;
      pairs.push([`live hit rate${state.symbol ? ` (${esc(state.symbol)})` : ''}`, h && h.hitRate !== null
        ? `<span class="${inCi === false ? 'bad' : ''}">${pct(h.hitRate)}</span> <span style="color:var(--muted)">of ${fmt(h.matured, 0)} · validation ${ci ? `${pct(ci[0])}–${pct(ci[1])}` : '—'}</span>`
        : `— <span style="color:var(--muted)">validation ${ci ? `${pct(ci[0])}–${pct(ci[1])}` : '—'}</span>`]);
      const bandRows = bandTable(card.validationBands, h);
      if (bandRows) pairs.push(...bandRows);
      pairs.push(['drift (PSI max)', h && h.psiMax !== null ? `${fmt(h.psiMax, 3)} <span style="color:var(--muted)">${esc(h.psiFeature || '')}</span>` : (h ? `— <span style="color:var(--muted)">window ${fmt(h.vectors, 0)}/${fmt(h.window, 0)}</span>` : '—'), h && h.driftedFeatures && h.driftedFeatures.length ? 'bad' : '']);
      pairs.push(['retrain', h ? (h.retrain ? `<span class="bad">recommended (${esc(h.priority || '')}): ${esc(h.reason || '')}</span>` : '<span class="good">no</span>') : '<span style="color:var(--muted)">no health report yet</span>']);
      const ts = card.tearSheet;
      // The link generates the sheet on request (the server backtests in a child process) when
      // there is none, or anew over the log as it is now; while it runs the card says so.
      const gen = state.tearSheet === 'generating'
        ? '<span id="tearsheet-generating" style="color:var(--muted)">generating tear sheet…</span>'
        : `<a id="tearsheet-generate" href="#">${ts && ts.available ? 'regenerate' : 'generate tear sheet'}</a>`;
      const failed = state.tearSheet === 'failed' && tearSheetError ? ` <span id="tearsheet-failed" class="bad">${esc(tearSheetError)}</span>` : '';
      pairs.push(['backtest', (ts && ts.available ? `<a id="tearsheet" href="${withToken('report')}" target="_blank" rel="noopener">tear sheet ↗</a> · ` : `<span id="tearsheet-missing" style="color:var(--muted)" title="${esc(ts ? ts.reason : '')}">no tear sheet</span> · `) + gen + failed]);
      $('model').innerHTML = rows(pairs);
      const hb = h && h.bands ? h.bands : null;
      state.modelCard = {
        gates: (card.gates || []).length, gatesPassed: card.gatesPassed ?? null, calibration: cal ? cal.method : null, validationHitRate: ci || null, health: h || null, tearSheet: !!(ts && ts.available),
        bands: card.validationBands ? (hb && hb.some((b) => b.matured > 0) ? hb : 'waiting') : null,
      };
    } catch (e) {
      $('model').innerHTML = rows([['model', esc(e.message)]]);
    }
  }

  async function refreshOptions(symbol) {
    try {
      const r = await api(`/api/features?symbol=${encodeURIComponent(symbol)}&limit=288&names=${OPTION_FEATURES.join(',')}`);
      if (symbol !== state.symbol) return;
      const rowsWithValues = r.features.filter((f) => Object.values(f.features).some((v) => v !== null));
      const card = $('options-card');
      if (!rowsWithValues.length) {
        card.hidden = true;
        return;
      }
      const last = rowsWithValues[rowsWithValues.length - 1];
      const first = rowsWithValues[0];
      const v = last.features;
      const spot = barData.length ? barData[barData.length - 1].close : null;
      const change = (name, digits) => {
        const a = first.features[name], b = v[name];
        if (a === null || b === null || a === undefined || b === undefined) return '';
        const d = b - a;
        return ` <span style="color:var(--muted)">(${d >= 0 ? '+' : ''}${fmt(d, digits)})</span>`;
      };
      const has = (name) => v[name] !== undefined && v[name] !== null;
      const pairs = [];
      if (has('pcr_oi')) pairs.push(['put/call ratio (OI)', fmt(v.pcr_oi, 2) + change('pcr_oi', 2)]);
      if (has('pcr_volume')) pairs.push(['put/call ratio (volume)', fmt(v.pcr_volume, 2)]);
      if (has('pcr_premium')) pairs.push(['put/call ratio (premium)', fmt(v.pcr_premium, 2)]);
      if (has('max_pain_dist') && spot !== null) {
        pairs.push(['max pain / spot', `${fmt(spot * (1 + v.max_pain_dist))} / ${fmt(spot)}`]);
        pairs.push(['max pain distance', pct(v.max_pain_dist, 2)]);
      }
      if (has('atm_iv')) pairs.push(['ATM IV', pct(v.atm_iv) + change('atm_iv', 3)]);
      if (has('iv_skew_5')) pairs.push(['skew (95% put − 105% call)', pct(v.iv_skew_5, 2)]);
      if (has('gex_total')) pairs.push(['dealer GEX per 1%', fmt(v.gex_total, 0), v.gex_total < 0 ? 'bad' : 'good']);
      if (has('gamma_flip')) pairs.push(['gamma flip', fmt(v.gamma_flip)]);
      $('options').innerHTML = rows(pairs);
      const series = (name, scale) => rowsWithValues.filter((f) => f.features[name] !== null && f.features[name] !== undefined).map((f) => ({ time: f.barEnd / 1000, value: f.features[name] * scale }));
      ivLine.setData(series('atm_iv', 100));
      pcrLine.setData(series('pcr_oi', 1));
      optionChart.timeScale().fitContent();
      $('options-time').textContent = `${time(last.barEnd).slice(11)} · (change over ${Math.round((last.barEnd - first.barEnd) / 3_600_000)} h)`;
      card.hidden = false;
      state.options = v;
    } catch (e) {
      showError(e.message);
    }
  }

  // ---- live --------------------------------------------------------------------------------
  let ws = null;
  let pending = null; // live messages held while the history loads
  let retry = 500;

  function send(msg) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
  }

  function connect() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    ws = new WebSocket(withToken(`${proto}//${location.host}/ws`));
    ws.onopen = () => {
      retry = 500;
      state.connected = true;
      $('conn').className = 'conn on';
      $('conn').textContent = 'live';
      if (state.symbol) subscribe(state.symbol);
    };
    ws.onclose = () => {
      state.connected = false;
      $('conn').className = 'conn off';
      $('conn').textContent = 'offline';
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10_000);
    };
    ws.onerror = () => undefined; // onclose follows and reconnects
    ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.type !== 'bar' && msg.type !== 'signal') return;
      if (msg.data.symbol !== state.symbol) return;
      if (pending) pending.push(msg);
      else applyLive(msg);
    };
  }

  let lastOptionsRefresh = 0;
  let lastOptionsWall = -Infinity; // at most one refresh every 2 s of wall time (a fast --speed closes bars faster)
  function applyLive(msg) {
    if (msg.type === 'bar') {
      applyBar(msg.data);
      state.liveBars++;
      if (msg.data.interval === '5m' && msg.data.end - lastOptionsRefresh >= FIVE_MIN && performance.now() - lastOptionsWall >= 2000) {
        lastOptionsRefresh = msg.data.end;
        lastOptionsWall = performance.now();
        void refreshOptions(state.symbol);
      }
    } else {
      applySignal(msg.data, true);
    }
  }

  function subscribe(symbol) {
    send({ op: 'subscribe', channel: 'bars', symbols: [symbol] });
    send({ op: 'subscribe', channel: 'signals', symbols: [symbol] });
  }

  // ---- symbols -----------------------------------------------------------------------------
  async function selectSymbol(symbol) {
    if (symbol === state.symbol && state.loadedSymbol === symbol) return;
    const previous = state.symbol;
    state.symbol = symbol;
    state.loading = true;
    state.loadedSymbol = null;
    for (const b of $('symbols').children) b.classList.toggle('active', b.dataset.symbol === symbol);
    if (previous && previous !== symbol) {
      send({ op: 'unsubscribe', channel: 'bars', symbols: [previous] });
      send({ op: 'unsubscribe', channel: 'signals', symbols: [previous] });
    }
    pending = [];
    subscribe(symbol);
    try {
      const q = `symbol=${encodeURIComponent(symbol)}`;
      // The history's signals with only the chart's fields; the latest one whole (its contributions, reason).
      // Asked together; the candles are drawn as soon as the bars are in, the signals after.
      const barsP = api(`/api/bars?${q}&interval=5m&limit=${HISTORY_BARS}`);
      const rest = Promise.all([api(`/api/signals?${q}&limit=${HISTORY_BARS}&fields=chart`), api(`/api/signals?${q}&limit=1&provenance=false`)]);
      rest.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
      const bars = await barsP;
      if (symbol !== state.symbol) return;
      barData = bars.bars.map(candleOf);
      candles.setData(barData);
      volume.setData(bars.bars.map(volumeOf));
      markers.setMarkers([]); // the previous symbol's, until this one's signals are in
      forming = null;
      chart.timeScale().setVisibleLogicalRange({ from: Math.max(0, barData.length - 150), to: barData.length + 6 });
      // Two frames after setData the candles are on the canvas: the page-side mark the benchmark reads.
      if (state.firstRenderMs === null) requestAnimationFrame(() => requestAnimationFrame(() => {
        performance.mark('tickflow:candles-drawn');
        state.firstRenderMs = performance.now();
      }));
      const [signals, latest] = await rest;
      if (symbol !== state.symbol) return;
      markerList = signals.signals.map(markerOf);
      markers.setMarkers(markerList);
      const points = (f) => signals.signals.map((s) => ({ time: signalTime(s), value: f(s) * 100 }));
      pUp.setData(points((s) => s.pUp));
      pDown.setData(points((s) => s.pDown));
      conf.setData(points((s) => s.confidence));
      q90Line.setData(movePoints(signals.signals, 'q90'));
      expLine.setData(movePoints(signals.signals, 'expectedReturn'));
      q10Line.setData(movePoints(signals.signals, 'q10'));
      state.expectedPoints = signals.signals.filter(hasHeads).length;
      signalList = signals.signals.slice();
      state.bars = barData.length;
      state.signals = signals.signals.length;
      state.markers = markerList.length;
      const newest = signals.signals[signals.signals.length - 1];
      const whole = latest.signals[0];
      // A signal may have arrived between the two requests: show the newer of the two.
      const last = whole && (!newest || whole.barEnd >= newest.barEnd) ? whole : newest;
      if (newest && whole && whole.id === newest.id) signalList[signalList.length - 1] = whole;
      if (last) showSignal(last);
      else $('signal').innerHTML = 'no signal yet';
      if (bars.bars.length) updateQuote(bars.bars[bars.bars.length - 1].close);
      state.position = null;
      updatePosition();
      void loadModel(); // the card's live part (health) is per symbol
      const held = pending;
      pending = null;
      for (const m of held) if (m.data.symbol === symbol) applyLive(m);
      state.loadedSymbol = symbol;
      showError('');
      void refreshOptions(symbol);
    } catch (e) {
      pending = null;
      showError(e.message);
    } finally {
      state.loading = false;
    }
  }

  async function init() {
    connect();
    void refreshHealth();
    setInterval(refreshHealth, 3000);
    setInterval(() => void loadModel(), 60_000);
    try {
      const { symbols } = await api('/api/symbols');
      state.symbols = symbols.map((s) => s.symbol);
      $('symbols').innerHTML = '';
      for (const s of symbols) {
        const b = document.createElement('button');
        b.textContent = s.symbol;
        b.dataset.symbol = s.symbol;
        b.onclick = () => void selectSymbol(s.symbol);
        $('symbols').appendChild(b);
      }
      const wanted = params.get('symbol');
      const first = state.symbols.includes(wanted) ? wanted : state.symbols[0];
      if (first) await selectSymbol(first);
      else {
        showError('no bars in the log yet');
        void loadModel();
      }
    } catch (e) {
      showError(e.message);
    }
  }

  window.tickflow.selectSymbol = selectSymbol;
  void init();
})();
