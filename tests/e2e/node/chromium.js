// SPDX-License-Identifier: MIT
/*
 * The one way the browser checks (svg_check, html_check, speedscope_check)
 * start Debian's Chromium: headless, a fresh profile directory, nothing
 * fetched in the background.
 */
'use strict';
const { chromium } = require('playwright-core');

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
	'--no-first-run', '--disable-background-networking',
	'--disable-component-update', '--disable-sync'];

/* a persistent context is how Playwright takes a --user-data-dir (PROFILE) */
function launch(executable, profile, viewport) {
	return chromium.launchPersistentContext(profile, {
		executablePath: executable, headless: true, args: ARGS, viewport,
	});
}

module.exports = { launch };
