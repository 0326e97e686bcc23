// The operators' job page: lists the jobs of $bulk-jobs and polls while any runs, as often as the
// server's Retry-After says. Builds the table with textContent only (job data never becomes markup).
// On a host with tenants, ?tenant=A makes it A's page: config.json (which checks the name) then gives
// A's FHIR base, so the list and every cancel go through A's URL.
'use strict';

const TOKEN_KEY = 'hapiBulkAdminToken';
const IDLE_POLL_SECONDS = 15;
const PAGE_SIZE = 25;
let config = null;
let page = 1;
let timer = null;

const $ = id => document.getElementById(id);

function element(tag, className, text) {
	const node = document.createElement(tag);
	if (className) node.className = className;
	if (text !== undefined && text !== null) node.textContent = text;
	return node;
}

function token() {
	return sessionStorage.getItem(TOKEN_KEY);
}

function headers() {
	const result = { 'Accept': 'application/json' };
	if (config.askForToken && token()) result['Authorization'] = 'Bearer ' + token();
	return result;
}

function showMessage(text) {
	const message = $('message');
	message.textContent = text || '';
	message.hidden = !text;
}

function bytes(n) {
	if (n === null || n === undefined) return '–';
	const units = ['B', 'KB', 'MB', 'GB', 'TB'];
	let value = n, unit = 0;
	while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
	return (unit === 0 ? value : value.toFixed(1)) + ' ' + units[unit];
}

function duration(seconds) {
	if (seconds === null || seconds === undefined) return '–';
	seconds = Math.round(seconds);
	const h = Math.floor(seconds / 3600), m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
	return (h ? h + ' h ' : '') + (h || m ? m + ' min ' : '') + s + ' s';
}

function time(iso) {
	return iso ? new Date(iso).toLocaleString() : '–';
}

function number(n) {
	return n === null || n === undefined ? '?' : n.toLocaleString('en');
}

function bar(percent, finished) {
	const outer = element('div', 'bar' + (percent === null ? ' unknown' : '') + (finished ? ' done' : ''));
	const inner = element('span');
	if (percent !== null) inner.style.width = percent + '%';
	outer.appendChild(inner);
	outer.setAttribute('role', 'progressbar');
	if (percent !== null) outer.setAttribute('aria-valuenow', percent);
	return outer;
}

function progressCell(job) {
	const p = job.progress;
	const cell = element('td', 'progress');
	cell.appendChild(bar(p.percent, p.percent === 100));
	let text = p.total === null
		? number(p.done) + ' ' + p.unit + ' so far'
		: (p.percent === null ? '' : p.percent + '% · ') + number(p.done) + ' of ' + number(p.total) + ' ' + p.unit;
	cell.appendChild(element('div', 'progress-text', text));
	const details = [];
	if (p.perSecond !== null) details.push(number(Math.round(p.perSecond)) + ' ' + p.unit + '/s');
	if (p.secondsLeft !== null) details.push('about ' + duration(p.secondsLeft) + ' left');
	if (details.length) cell.appendChild(element('div', 'small throughput', details.join(' · ')));
	if (p.types.length) {
		const types = element('div', 'types');
		for (const type of p.types) {
			const percent = type.percent === undefined ? null : type.percent;
			types.appendChild(element('span', 'type-name', type.type));
			types.appendChild(bar(percent, percent === 100));
			types.appendChild(element('span', 'small type-count',
				number(type.done) + (type.total === null ? '' : ' / ' + number(type.total))));
		}
		cell.appendChild(types);
	}
	return cell;
}

function errorsCell(job) {
	const cell = element('td', 'errors');
	cell.appendChild(element('div', 'error-count', number(job.errors.count)));
	for (const file of job.errors.files) {
		const link = element('a', 'error-file', number(file.count) + ' in error file');
		link.href = file.url;
		link.addEventListener('click', event => download(event, file.url));
		cell.appendChild(element('div')).appendChild(link);
	}
	return cell;
}

/** Error files need the token too: fetched with it, then handed to the browser. */
async function download(event, url) {
	if (!config.askForToken) return;
	event.preventDefault();
	const response = await fetch(url, { headers: headers() });
	if (!response.ok) {
		showMessage('The error file could not be fetched (HTTP ' + response.status + '): only the job\'s own client may read it.');
		return;
	}
	const blob = await response.blob();
	const link = document.createElement('a');
	link.href = URL.createObjectURL(blob);
	link.download = 'errors.ndjson';
	link.click();
	URL.revokeObjectURL(link.href);
}

function row(job) {
	const tr = element('tr', 'job-row');
	tr.dataset.jobId = job.id;
	tr.dataset.state = job.state;
	const id = element('td', 'job');
	id.appendChild(element('div', null, job.kind + ' · ' + job.level));
	id.appendChild(element('code', 'job-id', job.id));
	tr.appendChild(id);
	tr.appendChild(element('td', 'state state-' + job.state, job.state));
	tr.appendChild(element('td', 'owner', job.owner || '–'));
	tr.appendChild(progressCell(job));
	const times = element('td', 'times small');
	times.appendChild(element('div', null, 'created ' + time(job.createdAt)));
	times.appendChild(element('div', 'duration', 'ran ' + duration(job.durationSeconds)));
	if (job.finishedAt) times.appendChild(element('div', null, 'finished ' + time(job.finishedAt)));
	if (job.expiresAt) times.appendChild(element('div', null, 'expires ' + time(job.expiresAt)));
	tr.appendChild(times);
	tr.appendChild(element('td', 'files',
		(job.files.count === null ? '' : number(job.files.count) + ' files · ') + bytes(job.files.bytes)));
	tr.appendChild(errorsCell(job));
	const actions = element('td');
	if (job.state === 'accepted' || job.state === 'running') {
		const cancel = element('button', 'cancel', 'Cancel');
		cancel.type = 'button';
		cancel.addEventListener('click', () => cancelJob(job));
		actions.appendChild(cancel);
	}
	tr.appendChild(actions);
	return tr;
}

async function cancelJob(job) {
	if (!confirm('Cancel ' + job.kind + ' job ' + job.id + ' of ' + (job.owner || 'anyone')
		+ (config.tenant ? ' in tenant ' + config.tenant : '') + '?')) return;
	const response = await fetch(config.fhirBase + '/$bulk-status?job=' + encodeURIComponent(job.id),
		{ method: 'DELETE', headers: headers() });
	if (!response.ok) showMessage('Cancel refused: HTTP ' + response.status);
	load();
}

function query() {
	const parts = ['_count=' + PAGE_SIZE, 'page=' + page];
	if ($('state').value) parts.push('state=' + encodeURIComponent($('state').value));
	if ($('kind').value) parts.push('kind=' + encodeURIComponent($('kind').value));
	return parts.join('&');
}

async function load() {
	clearTimeout(timer);
	if (config.askForToken && !token()) {
		$('sign-in').hidden = false;
		return;
	}
	let next = IDLE_POLL_SECONDS;
	try {
		const response = await fetch(config.fhirBase + '/$bulk-jobs?' + query(), { headers: headers() });
		if (response.status === 401 || response.status === 403) {
			$('sign-in').hidden = false;
			showMessage(response.status === 401 ? 'The token was refused or has expired: paste a new one.'
				: 'This token lacks the system/bulk-admin scope.');
			return;
		}
		if (!response.ok) throw new Error('HTTP ' + response.status);
		const body = await response.json();
		const retryAfter = parseInt(response.headers.get('Retry-After'), 10);
		if (retryAfter > 0) next = retryAfter;
		render(body);
		showMessage('');
		$('updated').textContent = 'Updated ' + new Date().toLocaleTimeString()
			+ (retryAfter > 0 ? ' · jobs running, next update in ' + retryAfter + ' s' : '');
	} catch (e) {
		showMessage('Could not load the jobs (' + e.message + '); trying again.');
	}
	timer = setTimeout(load, next * 1000);
}

function render(body) {
	const tbody = $('jobs').querySelector('tbody');
	tbody.replaceChildren(...body.jobs.map(row));
	$('empty').hidden = body.jobs.length > 0;
	$('page-number').textContent = 'page ' + body.page;
	$('previous').disabled = body.page <= 1;
	$('next').disabled = !body.next;
}

/** The page's config; with ?tenant=, the tenant's (refused by the server when it is no partition name). */
async function loadConfig() {
	const tenant = new URLSearchParams(location.search).get('tenant');
	const response = await fetch('config.json' + (tenant === null ? '' : '?tenant=' + encodeURIComponent(tenant)));
	if (!response.ok) {
		let text = 'HTTP ' + response.status;
		try {
			text = (await response.json()).issue[0].diagnostics;
		} catch (e) {
			// not an OperationOutcome: the status says enough
		}
		showMessage('This page cannot be shown: ' + text);
		return null;
	}
	return response.json();
}

function showTenant() {
	if (!config.tenants) return;
	$('tenant-form').hidden = false;
	$('tenant').value = config.tenant || '';
	$('tenant-name').textContent = config.tenant ? '· tenant ' + config.tenant : '· no tenant in the URL (the server\'s default)';
	$('tenant-form').addEventListener('submit', event => {
		event.preventDefault();
		const value = $('tenant').value.trim();
		location.search = value ? '?' + new URLSearchParams({ tenant: value }).toString() : '';
	});
}

async function start() {
	config = await loadConfig();
	if (config === null) return;
	showTenant();
	$('sign-in').hidden = !config.askForToken || !!token();
	$('token-form').addEventListener('submit', event => {
		event.preventDefault();
		const value = $('token').value.trim().replace(/^Bearer\s+/i, '');
		if (value) sessionStorage.setItem(TOKEN_KEY, value);
		$('token').value = '';
		$('sign-in').hidden = true;
		load();
	});
	$('forget-token').addEventListener('click', () => {
		sessionStorage.removeItem(TOKEN_KEY);
		$('sign-in').hidden = false;
	});
	$('refresh').addEventListener('click', load);
	$('state').addEventListener('change', () => { page = 1; load(); });
	$('kind').addEventListener('change', () => { page = 1; load(); });
	$('previous').addEventListener('click', () => { page = Math.max(1, page - 1); load(); });
	$('next').addEventListener('click', () => { page++; load(); });
	load();
}

start();
