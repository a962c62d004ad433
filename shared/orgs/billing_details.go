package orgs

import (
	"regexp"
	"slices"
	"strings"
)

// BillingDetails are what an org's invoices are addressed to, with
// Stripe's field names. Email is the org's billing email.
type BillingDetails struct {
	CompanyName string
	Address     Address
	TaxID       TaxID
}

// Address is a postal address; Country is ISO 3166-1 alpha-2.
type Address struct {
	Line1, Line2, City, PostalCode, State, Country string
}

// TaxID is a tax identifier, typed as Stripe types them ("eu_vat").
type TaxID struct {
	Type, Value string
}

// Zero reports whether nothing is set.
func (b BillingDetails) Zero() bool { return b == BillingDetails{} }

// taxIDTypes are the tax id types Stripe's Customer Tax IDs accept.
var taxIDTypes = strings.Fields(`ad_nrt ae_trn al_tin am_tin ao_tin ar_cuit au_abn au_arn ba_tin bb_tin bg_uic bh_vat
	bo_tin br_cnpj br_cpf bs_tin by_tin ca_bn ca_gst_hst ca_pst_bc ca_pst_mb ca_pst_sk ca_qst cd_nif ch_uid ch_vat cl_tin
	cn_tin co_nit cr_tin de_stn do_rcn ec_ruc eg_tin es_cif eu_oss_vat eu_vat gb_vat ge_vat gn_nif hk_br hr_oib hu_tin
	id_npwp il_vat in_gst is_vat jp_cn jp_rn jp_trn ke_pin kh_tin kr_brn kz_bin li_uid li_vat ma_vat md_vat me_pib mk_vat
	mr_nif mx_rfc my_frp my_itn my_sst ng_tin no_vat no_voec np_pan nz_gst om_vat pe_ruc ph_tin ro_tin rs_pib ru_inn ru_kpp
	sa_vat sg_gst sg_uen si_tin sn_ninea sr_fin sv_nit th_vat tj_tin tr_tin tw_vat tz_vat ua_vat ug_tin us_ein uy_ruc
	uz_tin uz_vat ve_rif vn_tin za_vat zm_tin zw_tin`)

// countries are the ISO 3166-1 alpha-2 codes officially assigned.
var countries = strings.Fields(`AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO
	BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES
	ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ
	IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM
	MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW
	PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
	TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW`)

// Country reports whether code is an assigned ISO 3166-1 alpha-2 code.
func Country(code string) bool { return slices.Contains(countries, code) }

var postalCode = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 -]{0,19}$`)

// optionalText is Text for a field that may be empty.
func (c *Check) optionalText(field, v string, max int) {
	if v != "" {
		c.Text(field, v, max)
	}
}

// BillingDetails checks billing details under the field prefix.
func (c *Check) BillingDetails(prefix string, b BillingDetails) {
	c.optionalText(prefix+"company_name", b.CompanyName, 200)
	a := prefix + "address."
	c.optionalText(a+"line1", b.Address.Line1, 200)
	c.optionalText(a+"line2", b.Address.Line2, 200)
	c.optionalText(a+"city", b.Address.City, 100)
	c.optionalText(a+"state", b.Address.State, 100)
	if b.Address.PostalCode != "" && !postalCode.MatchString(b.Address.PostalCode) {
		c.Add(a+"postal_code", "must be 1–20 letters, digits, spaces or hyphens")
	}
	if b.Address.Country != "" && !Country(b.Address.Country) {
		c.Add(a+"country", "must be an ISO 3166-1 alpha-2 country code in capitals, e.g. DE or US")
	}
	if b.Address != (Address{}) && (b.Address.Line1 == "" || b.Address.Country == "") {
		c.Add(a+"line1", "and country are required in an address")
	}
	t := prefix + "tax_id."
	switch {
	case b.TaxID == TaxID{}:
	case !slices.Contains(taxIDTypes, b.TaxID.Type):
		c.Add(t+"type", "must be a Stripe tax id type, e.g. eu_vat, gb_vat or us_ein")
	case b.TaxID.Value == "" || len(b.TaxID.Value) > 50 || strings.TrimSpace(b.TaxID.Value) != b.TaxID.Value:
		c.Add(t+"value", "must be 1–50 characters without surrounding spaces")
	default:
		c.Text(t+"value", b.TaxID.Value, 50)
	}
}
