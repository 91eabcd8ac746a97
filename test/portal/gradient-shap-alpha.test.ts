// The explain form's Gradient SHAP α design in headless Chromium: the control appears with Gradient
// SHAP only, the chosen design reaches the service (stored with the explanation and used by the run),
// and the result's tile names it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openPortal, SKIP, waitFor, type PortalSession } from './browser.ts';

describe('Gradient SHAP α sampling in the portal', { skip: SKIP, timeout: 300_000 }, () => {
  let session: PortalSession;
  before(async () => {
    session = await openPortal();
  });
  after(async () => session?.close());

  test('the α control shows with Gradient SHAP and the chosen design is the one the stored run used', async () => {
    const { page, service } = session;
    const form = page.locator('section[aria-labelledby="explain-h"]');
    await form.getByRole('checkbox', { name: /demo-shapes/ }).waitFor();
    const alpha = form.getByLabel('Gradient SHAP α sampling');
    assert.equal(await alpha.count(), 0, 'no α control without Gradient SHAP');
    await form.getByRole('checkbox', { name: 'Grad-CAM', exact: true }).uncheck();
    await form.getByRole('checkbox', { name: 'Gradient SHAP', exact: true }).check();
    assert.equal(await alpha.inputValue(), '', "the default is the service's (shap's α)");
    await alpha.selectOption('STRATIFIED');
    await form.getByLabel('SmoothGrad / Gradient SHAP samples').fill('8');
    await page.getByRole('button', { name: 'Explain red-square.png' }).click();
    const row = page.locator('li.job', { hasText: 'Gradient SHAP on red-square.png' }).first();
    await waitFor(async () => (await row.getAttribute('data-status')) === 'SUCCEEDED', 'the Gradient SHAP job to succeed', 120_000);
    const id = (await row.getAttribute('data-job-id'))!;
    const e = (await service.gql(`query($id: ID!) { explanation(id: $id) { parameters result } }`, { id })).data.explanation;
    assert.equal(e.parameters.gradient.alphaSampling, 'STRATIFIED');
    assert.equal(e.parameters.gradient.samples, 8);
    assert.equal(e.result.alphaSampling, 'STRATIFIED');
    // The results view names the design on the tile.
    await row.getByRole('link', { name: 'View results' }).click();
    const tile = page.locator(`figure.tile[data-explanation-id="${id}"]`).first();
    await tile.waitFor({ timeout: 30_000 });
    assert.match(await tile.innerText(), /stratified α/);
    await session.shot('gradient-shap-alpha');
    assert.deepEqual(session.pageErrors, []);
  });
});
