// SPDX-License-Identifier: MIT
/*
 * Drives the .svg flame graph in headless Debian Chromium (playwright-core,
 * no browser download) the way a user would, and prints what it saw as one
 * JSON object on stdout; test_svg.py judges it.
 *
 *   node svg_check.js SPEC.json
 *
 * SPEC: {"svg": path, "screenshot": png path, "profile": fresh user data dir,
 *        "chromium": executable, "hover": {"q": qualname, "p": file},
 *        "zoom": {"q": ..., "p": ...}, "search": search term}
 * Steps: load; every frame's label, numbers and on-screen box; hover the
 * frame of `hover` (tooltip and details text); click the frame of `zoom`
 * (its box and which frames stay shown), reset; Ctrl-F and type `search`
 * in the prompt (highlighted frames, matched text); icicle toggle; a
 * screenshot; console errors and page errors throughout.
 */
'use strict';
const fs = require('fs');
const { launch } = require('./chromium');


/* every frame: what the DOM says now */
function frames(page) {
	return page.evaluate(() => {
		const out = [];
		for (const g of document.querySelectorAll('#frames > g.f')) {
			const r = g.querySelector('rect'), t = g.querySelector('text');
			const b = r.getBoundingClientRect();
			out.push({
				f: Number(g.getAttribute('data-f')),
				x_ns: Number(g.getAttribute('data-x')),
				w_ns: Number(g.getAttribute('data-w')),
				s_ns: Number(g.getAttribute('data-s')),
				n: Number(g.getAttribute('data-n')),
				d: Number(g.getAttribute('data-d')),
				label: g.getAttribute('data-label'),
				text: t.textContent,
				shown: g.getAttribute('display') !== 'none',
				hit: g.classList.contains('hit'),
				fill: getComputedStyle(r).fill,
				x: Number(r.getAttribute('x')),
				y: Number(r.getAttribute('y')),
				w: Number(r.getAttribute('width')),
				box: { x: b.x, y: b.y, w: b.width, h: b.height },
				title: g.querySelector('title') ? g.querySelector('title').textContent : null,
			});
		}
		return out;
	});
}

/* the index of the widest frame of function FN ({q: qualname, p: file}) */
async function findFrame(page, fn) {
	return page.evaluate((fn) => {
		const fns = document.getElementById('funcs').children;
		let best = -1, bw = -1, i = 0;
		for (const g of document.querySelectorAll('#frames > g.f')) {
			const f = Number(g.getAttribute('data-f')), w = Number(g.getAttribute('data-w'));
			if (f >= 0 && fns[f].getAttribute('q') === fn.q &&
			    fns[f].getAttribute('p') === fn.p && w > bw) {
				best = i;
				bw = w;
			}
			i++;
		}
		return best;
	}, fn);
}

/* a point inside frame IDX, scrolled into view */
async function frameCenter(page, idx) {
	const r = page.locator('#frames > g.f').nth(idx).locator('rect');
	await r.scrollIntoViewIfNeeded();
	const b = await r.boundingBox();
	return { x: b.x + Math.min(b.width / 2, 30), y: b.y + b.height / 2 };
}

function text(page, sel) {
	return page.evaluate((sel) => {
		const e = document.querySelector(sel);
		return e ? e.textContent : null;
	}, sel);
}

async function main() {
	const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
	const res = { console: [], errors: [] };
	const ctx = await launch(spec.chromium, spec.profile, { width: 1280, height: 900 });
	try {
		const page = ctx.pages()[0] || await ctx.newPage();
		page.on('console', (m) => {
			res.console.push(m.type() + ': ' + m.text());
			if (m.type() === 'error')
				res.errors.push('console: ' + m.text());
		});
		page.on('pageerror', (e) => res.errors.push('pageerror: ' + e.message));
		page.on('requestfailed', (r) => res.errors.push('request failed: ' + r.url()));
		page.on('request', (r) => {
			if (!r.url().startsWith('file:'))
				res.errors.push('external request: ' + r.url());
		});
		await page.goto('file://' + spec.svg, { waitUntil: 'load' });
		res.content_type = await page.evaluate(() => document.contentType);
		res.root_tag = await page.evaluate(() => document.documentElement.tagName);
		res.svg_width = await page.evaluate(() => document.documentElement.getBoundingClientRect().width);
		res.header = await page.evaluate(() =>
			Array.from(document.querySelectorAll('text.info, text.warn, text.note, text.title'))
				.map((t) => ({ cls: t.getAttribute('class'), text: t.textContent })));
		res.funcs = await page.evaluate(() =>
			Array.from(document.getElementById('funcs').children).map((e) =>
				({ q: e.getAttribute('q'), p: e.getAttribute('p'), l: Number(e.getAttribute('l')) })));
		res.geometry = await page.evaluate(() => {
			const b = document.getElementById('frames');
			return { x0: Number(b.getAttribute('data-x0')), width: Number(b.getAttribute('data-width')),
				 total: Number(b.getAttribute('data-total')), rows: Number(b.getAttribute('data-rows')),
				 top: Number(b.getAttribute('data-top')), fh: Number(b.getAttribute('data-fh')) };
		});
		res.initial = await frames(page);

		/* hover */
		const hi = await findFrame(page, spec.hover);
		res.hover_index = hi;
		if (hi >= 0) {
			const c = await frameCenter(page, hi);
			await page.mouse.move(c.x, c.y);
			await page.mouse.move(c.x + 1, c.y);
			res.hover = {
				tip: await page.evaluate(() => Array.from(
					document.querySelectorAll('#tip tspan')).map((t) => t.textContent)),
				tip_visible: await page.evaluate(() =>
					document.getElementById('tip').getAttribute('visibility')),
				tip_box: await page.evaluate(() => {
					const b = document.querySelector('#tip rect').getBoundingClientRect();
					return { x: b.x, y: b.y, w: b.width, h: b.height };
				}),
				details: await text(page, '#details'),
			};
			await page.screenshot({ path: spec.screenshot.replace(/\.png$/, '-hover.png') });
		}

		/* zoom */
		const zi = await findFrame(page, spec.zoom);
		res.zoom_index = zi;
		if (zi >= 0) {
			const c = await frameCenter(page, zi);
			await page.mouse.click(c.x, c.y);
			res.zoomed = await frames(page);
			res.reset_class_zoomed = await page.getAttribute('#reset', 'class');
			await page.screenshot({ path: spec.screenshot.replace(/\.png$/, '-zoom.png') });
			await page.click('#reset');
			res.unzoomed = await frames(page);
			res.reset_class_unzoomed = await page.getAttribute('#reset', 'class');
		}

		/* search: Ctrl-F opens a prompt */
		page.once('dialog', async (d) => {
			res.dialog = { type: d.type(), message: d.message(), default: d.defaultValue() };
			await d.accept(spec.search);
		});
		await page.mouse.move(2, 2);
		await page.keyboard.press('Control+f');
		await page.waitForFunction(() => document.getElementById('matched').textContent !== '',
			null, { timeout: 5000 }).catch(() => {});
		res.searched = await frames(page);
		res.matched = await text(page, '#matched');
		await page.evaluate(() => window.scrollTo(0, 1e9));
		await page.screenshot({ path: spec.screenshot.replace(/\.png$/, '-search.png') });
		await page.keyboard.press('Escape');
		res.matched_after_escape = await text(page, '#matched');
		res.hits_after_escape = await page.evaluate(() => document.querySelectorAll('g.hit').length);

		/* icicle view */
		await page.click('#flip');
		res.icicle = await frames(page);
		res.flip_text = await text(page, '#flip');
		await page.click('#flip');

		/* the flame graph's base (fullPage hangs on a tall SVG document),
		 * then the header */
		await page.evaluate(() => window.scrollTo(0, 1e9));
		await page.screenshot({ path: spec.screenshot });
		await page.evaluate(() => window.scrollTo(0, 0));
		await page.screenshot({ path: spec.screenshot.replace(/\.png$/, '-top.png') });
	} finally {
		await ctx.close();
	}
	process.stdout.write(JSON.stringify(res) + '\n');
}

main().catch((e) => {
	process.stderr.write('svg_check: ' + (e && e.stack || e) + '\n');
	process.exit(2);
});
