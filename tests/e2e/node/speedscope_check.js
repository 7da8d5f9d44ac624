#!/usr/bin/env node
// SPDX-License-Identifier: MIT
/*
 * Import profiles with the real speedscope (the npm package's web app,
 * node_modules/speedscope/dist/release) in headless Chromium, as a user
 * would: the app is served by a local HTTP server of this script and each
 * file is opened with speedscope's own `#profileURL=` loader.
 *
 *   node speedscope_check.js [--chromium PATH] FILE...
 *
 * Prints one JSON document on stdout: per file
 *   { file, ok, errors: [...], importer, title,
 *     profiles: [{ name, unit, totalWeight,
 *                  frames: [{ name, file, line, self, total }] }],
 *     sandwich: [symbol names shown in the sandwich view's table] }
 * `errors` collects alerts, uncaught exceptions, console errors and
 * speedscope's error screen; `ok` is true when the import completed with
 * none of them. `profiles` is what speedscope's importer built: the app is
 * served with one hook added to its bundle, at the point where it installs
 * the imported profile group (window.__tracerProfiles). `sandwich` is read
 * from the page (the DOM table of the sandwich view, scrolled through) for
 * the profile the app shows first.
 *
 * Exit status: 0 when the document was written (whatever it says), 2 on a
 * usage or setup error (message on stderr).
 */
'use strict';

const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');

const APP_DIR = path.join(__dirname, 'node_modules', 'speedscope', 'dist', 'release');
// where speedscope 1.25.0 installs an imported profile group (application.tsx:
// `this.props.setProfileGroup(profileGroup)`, minified)
const HOOK_FROM = 'this.props.setProfileGroup(a)';
const HOOK_TO = '(window.__tracerProfiles=a,this.props.setProfileGroup(a))';
const LOAD_TIMEOUT_MS = 90000;


function die(msg) {
	process.stderr.write('speedscope_check: ' + msg + '\n');
	process.exit(2);
}

const MIME = {
	'.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
	'.css': 'text/css', '.json': 'application/json', '.png': 'image/png',
	'.ico': 'image/x-icon', '.woff2': 'font/woff2', '.wasm': 'application/wasm',
};

/* the app under /app/ (bundle hooked), the profiles under /p/INDEX/NAME */
function serve(files) {
	let hooked = 0;
	const server = http.createServer((req, res) => {
		const url = decodeURIComponent(req.url.split('?')[0].split('#')[0]);
		let m;
		let body = null;
		let type = 'application/octet-stream';
		if ((m = /^\/p\/(\d+)\/[^/]+$/.exec(url)) && files[+m[1]]) {
			body = fs.readFileSync(files[+m[1]]);
		} else if ((m = /^\/app\/([\w.-]+)$/.exec(url))) {
			const p = path.join(APP_DIR, m[1]);
			if (fs.existsSync(p)) {
				body = fs.readFileSync(p);
				type = MIME[path.extname(p)] || type;
				if (/^speedscope-.*\.js$/.test(m[1])) {
					const src = body.toString('utf8');
					const n = src.split(HOOK_FROM).length - 1;
					if (n !== 1) {
						res.writeHead(500);
						res.end('hook point found ' + n + ' times');
						return;
					}
					hooked++;
					body = Buffer.from(src.replace(HOOK_FROM, HOOK_TO), 'utf8');
				}
			}
		}
		if (!body) {
			res.writeHead(404);
			res.end('not found');
			return;
		}
		res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length,
				     'Cache-Control': 'no-store' });
		res.end(body);
	});
	return new Promise((resolve, reject) => {
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => resolve({ server, hooked: () => hooked }));
	});
}

/* in the page: what speedscope imported */
function readProfiles() {
	const g = window.__tracerProfiles;
	if (!g)
		return null;
	return g.profiles.map(p => {
		const frames = [];
		p.forEachFrame(f => frames.push({
			name: f.name, file: f.file === undefined ? null : f.file,
			line: f.line === undefined ? null : f.line,
			self: f.getSelfWeight(), total: f.getTotalWeight(),
		}));
		return { name: p.getName(), unit: p.getWeightUnit(),
			 totalWeight: p.getTotalWeight(), frames };
	});
}

/* in the page: every symbol name of the sandwich table, scrolling its
 * (virtualized) list from top to bottom */
async function readSandwich() {
	const frame = () => new Promise(r => requestAnimationFrame(() => setTimeout(r, 30)));
	// the header is a table of its own; the rows are tables in the
	// scrolled list next to it
	const th = Array.from(document.querySelectorAll('th'))
		.find(h => /Symbol Name/.test(h.textContent));
	if (!th)
		return null;
	const box = th.closest('table').parentElement;
	const scroller = Array.from(box.querySelectorAll('div'))
		.find(d => getComputedStyle(d).overflowY === 'auto');
	if (!scroller)
		return null;
	const names = new Set();
	const collect = () => {
		for (const tr of scroller.querySelectorAll('tr')) {
			const cells = tr.querySelectorAll('td');
			if (cells.length >= 3)
				names.add(cells[cells.length - 1].textContent.trim());
		}
	};
	scroller.scrollTop = 0;
	await frame();
	for (let i = 0; i < 100000; i++) {
		collect();
		const before = scroller.scrollTop;
		scroller.scrollTop = before + Math.max(20, scroller.clientHeight - 40);
		await frame();
		if (scroller.scrollTop === before)
			break;
	}
	collect();
	return Array.from(names);
}

async function check(browser, base, index, file) {
	const r = { file, ok: false, errors: [], importer: null, title: null, profiles: null,
		    sandwich: null };
	const page = await browser.newPage();
	page.on('dialog', d => {
		r.errors.push('alert: ' + d.message());
		d.dismiss().catch(() => {});
	});
	page.on('pageerror', e => r.errors.push('uncaught: ' + (e.stack || e.message || e)));
	page.on('console', m => {
		const t = m.text();
		const im = /^Importing (?:as |from )(.*)$/.exec(t);
		if (im)
			r.importer = im[1];
		if (m.type() === 'error')
			r.errors.push('console.error: ' + t);
	});
	try {
		const url = base + '/app/index.html#profileURL=' +
			encodeURIComponent(base + '/p/' + index + '/' + path.basename(file)) +
			'&view=sandwich';
		await page.goto(url, { waitUntil: 'load' });
		// done: the imported group is installed and the title set, or an
		// error came (alert, error screen, exception)
		const t0 = Date.now();
		for (;;) {
			const st = await page.evaluate(() => ({
				done: !!window.__tracerProfiles && / - speedscope$/.test(document.title),
				failed: /Something went wrong/.test(document.body.textContent),
			}));
			if (st.failed)
				r.errors.push('speedscope shows its error screen');
			if (st.done || st.failed || r.errors.length)
				break;
			if (Date.now() - t0 > LOAD_TIMEOUT_MS) {
				r.errors.push('timeout: no profile after ' + LOAD_TIMEOUT_MS + ' ms');
				break;
			}
			await page.waitForTimeout(100);
		}
		r.title = await page.title();
		r.profiles = await page.evaluate(readProfiles);
		if (r.profiles) {
			// let the app render the sandwich view, then read its table
			await page.waitForFunction(() => Array.from(document.querySelectorAll('th'))
				.some(h => /Symbol Name/.test(h.textContent)), null,
				{ timeout: 30000 }).catch(() => {});
			r.sandwich = await page.evaluate(readSandwich);
		}
	} catch (e) {
		r.errors.push('driver: ' + (e.stack || e));
	}
	await page.close().catch(() => {});
	r.ok = !r.errors.length && !!r.profiles && r.profiles.length > 0;
	return r;
}

async function main() {
	const argv = process.argv.slice(2);
	let chromium = '/usr/bin/chromium';
	const files = [];
	for (let i = 0; i < argv.length; i++) {
		if (argv[i] === '--chromium')
			chromium = argv[++i];
		else
			files.push(path.resolve(argv[i]));
	}
	if (!files.length)
		die('usage: speedscope_check.js [--chromium PATH] FILE...');
	for (const f of files)
		if (!fs.existsSync(f))
			die('no such file: ' + f);
	if (!fs.existsSync(path.join(APP_DIR, 'index.html')))
		die('speedscope is not installed in ' + APP_DIR + ' (npm ci in ' + __dirname + ')');
	let pw;
	try {
		pw = require('./chromium');
	} catch (e) {
		die('playwright-core is not installed (npm ci in ' + __dirname + ')');
	}
	if (!fs.existsSync(chromium))
		die('no Chromium at ' + chromium);

	const { server, hooked } = await serve(files);
	const base = 'http://127.0.0.1:' + server.address().port;
	const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'speedscope-check-'));
	let browser;
	const results = [];
	try {
		// (a fresh, empty profile)
		browser = await pw.launch(chromium, profileDir, { width: 1400, height: 1000 });
		for (let i = 0; i < files.length; i++)
			results.push(await check(browser, base, i, files[i]));
	} finally {
		if (browser)
			await browser.close().catch(() => {});
		server.close();
		fs.rmSync(profileDir, { recursive: true, force: true });
	}
	if (!hooked())
		for (const r of results)
			r.errors.push('the speedscope bundle was never loaded with its hook');
	process.stdout.write(JSON.stringify({ results }, null, 1) + '\n');
}

main().catch(e => die(e.stack || String(e)));
