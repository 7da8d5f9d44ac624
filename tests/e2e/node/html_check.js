// SPDX-License-Identifier: MIT
/*
 * Loads a coverage HTML report (-o cov.html) in headless Debian Chromium
 * (playwright-core, no browser download) and prints what the page shows as
 * one JSON object on stdout; test_coverage_html.py judges it.
 *
 *   node html_check.js SPEC.json
 *
 * SPEC: {"html": path, "screenshot": png path, "profile": fresh user data dir,
 *        "chromium": executable}
 * Reported: the title; the files table (path, statements, missed, the
 * percent cell); each file section (path, how measured, whether its text
 * came, every row: line number, class, text as rendered, background); the
 * number of script elements; console errors, page errors and any request
 * that is not the file itself (the page must be self-contained).
 */
'use strict';
const fs = require('fs');
const { launch } = require('./chromium');


async function main() {
	const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
	const res = { errors: [], dialogs: 0 };
	const ctx = await launch(spec.chromium, spec.profile, { width: 1280, height: 900 });
	try {
		const page = ctx.pages()[0] || await ctx.newPage();
		page.on('console', (m) => {
			if (m.type() === 'error')
				res.errors.push('console: ' + m.text());
		});
		page.on('pageerror', (e) => res.errors.push('pageerror: ' + e.message));
		page.on('dialog', async (d) => { res.dialogs++; await d.dismiss(); });
		page.on('request', (r) => {
			if (r.url() !== 'file://' + spec.html)
				res.errors.push('request: ' + r.url());
		});
		await page.goto('file://' + spec.html, { waitUntil: 'load' });
		Object.assign(res, await page.evaluate(() => {
			const out = { title: document.title, files: [], sections: [],
				      scripts: document.querySelectorAll('script').length };
			for (const tr of document.querySelectorAll('#files tr.file, #files tr.total')) {
				const td = tr.querySelectorAll('td');
				out.files.push({ path: tr.getAttribute('data-path'),
						 total: tr.classList.contains('total'),
						 stmts: Number(td[1].textContent),
						 miss: Number(td[2].textContent),
						 pct: td[3].textContent,
						 link: td[0].querySelector('a') ?
							td[0].querySelector('a').getAttribute('href') : null });
			}
			for (const s of document.querySelectorAll('section.src')) {
				const rows = [];
				for (const tr of s.querySelectorAll('table.code tr')) {
					const t = tr.querySelector('td.t');
					rows.push({ line: Number(tr.querySelector('td.ln').textContent),
						    cls: tr.className, text: t.textContent,
						    bg: getComputedStyle(t).backgroundColor });
				}
				out.sections.push({ id: s.id, path: s.getAttribute('data-path'),
						    measured: s.getAttribute('data-measured'),
						    source: s.getAttribute('data-source'),
						    heading: s.querySelector('h2').textContent, rows });
			}
			return out;
		}));
		await page.screenshot({ path: spec.screenshot, fullPage: false });
	} finally {
		await ctx.close();
	}
	process.stdout.write(JSON.stringify(res) + '\n');
}

main().catch((e) => {
	process.stderr.write(String(e && e.stack || e) + '\n');
	process.exit(1);
});
