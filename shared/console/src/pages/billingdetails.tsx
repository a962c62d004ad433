// The organization's billing details (company, address, tax id), part of
// PATCH /organizations/{org}: the whole `billing` object replaces the old.
import { useState } from "preact/hooks";
import type { Reply } from "../api";
import { orgPath, useOrg, useSession } from "../session";
import type { BillingDetails, Organization } from "../types";
import { Field, FormError, useAction } from "../ui";

const TAX_TYPES: [string, string][] = [
  ["", "None"],
  ["eu_vat", "EU VAT"],
  ["gb_vat", "UK VAT"],
  ["us_ein", "US EIN"],
  ["ch_vat", "Swiss VAT"],
  ["au_abn", "Australian ABN"],
  ["ca_bn", "Canadian BN"],
];

export function BillingDetailsForm(props: { org: Organization; etag: string | null; editable: boolean; onSaved: (r: Reply<Organization>) => void }) {
  const s = useSession();
  const { org } = useOrg();
  const b: BillingDetails = props.org.billing ?? { email: null, company_name: null, address: null, tax_id: null };
  const [v, setV] = useState({
    company: b.company_name ?? "",
    line1: b.address?.line1 ?? "",
    line2: b.address?.line2 ?? "",
    city: b.address?.city ?? "",
    postal: b.address?.postal_code ?? "",
    state: b.address?.state ?? "",
    country: b.address?.country ?? "",
    taxType: b.tax_id?.type ?? "",
    taxValue: b.tax_id?.value ?? "",
  });
  const [saved, setSaved] = useState(false);
  const act = useAction();
  const text = (key: keyof typeof v, label: string, name: string, hint?: string) => (
    <Field label={label} name={`billing.${name}`} problem={act.problem} hint={hint}>
      {(id, d, bad) => (
        <input id={id} readOnly={!props.editable} value={v[key]} aria-describedby={d} aria-invalid={bad} onInput={(e) => setV({ ...v, [key]: e.currentTarget.value })} />
      )}
    </Field>
  );
  const opt = (x: string) => (x.trim() ? x.trim() : undefined);
  return (
    <form
      class="card form"
      onSubmit={async (e) => {
        e.preventDefault();
        setSaved(false);
        const billing: Record<string, unknown> = {};
        if (opt(v.company)) billing.company_name = opt(v.company);
        if ([v.line1, v.line2, v.city, v.postal, v.state, v.country].some((x) => x.trim())) {
          billing.address = { line1: opt(v.line1), line2: opt(v.line2), city: opt(v.city), postal_code: opt(v.postal), state: opt(v.state), country: opt(v.country.toUpperCase()) };
        }
        if (v.taxType) billing.tax_id = { type: v.taxType, value: opt(v.taxValue) };
        const ok = await act.run(async () => props.onSaved(await s.api.patch<Organization>(orgPath(org.id), { billing }, props.etag)));
        setSaved(ok);
      }}
    >
      {text("company", "Company name", "company_name")}
      {text("line1", "Address line 1", "address.line1")}
      {text("line2", "Address line 2", "address.line2")}
      {text("city", "City", "address.city")}
      {text("postal", "Postal code", "address.postal_code")}
      {text("state", "State or region", "address.state")}
      {text("country", "Country", "address.country", "Two letters, e.g. DE or US.")}
      <Field label="Tax id type" name="billing.tax_id.type" problem={act.problem}>
        {(id, d, bad) => (
          <select id={id} disabled={!props.editable} value={v.taxType} aria-describedby={d} aria-invalid={bad} onChange={(e) => setV({ ...v, taxType: e.currentTarget.value })}>
            {TAX_TYPES.map(([k, l]) => (
              <option key={k} value={k}>
                {l}
              </option>
            ))}
          </select>
        )}
      </Field>
      {v.taxType && text("taxValue", "Tax id", "tax_id.value")}
      <FormError problem={act.problem} />
      {saved && (
        <p class="notice" role="status">
          Billing details saved.
        </p>
      )}
      {props.editable && (
        <button type="submit" disabled={act.busy}>
          Save billing details
        </button>
      )}
    </form>
  );
}
