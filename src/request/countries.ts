/**
 * Country codes the request templates check against.
 *
 * ISO 3166-1 alpha-2 officially assigned codes (249). Greece is `GR` here; the EU's own
 * abbreviation `EL` is not an ISO code and is rejected so that one state has one spelling.
 */
const ISO_3166_ALPHA2 =
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
  'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
  'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP ' +
  'KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT ' +
  'MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW ' +
  'SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG ' +
  'UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW';

/** The ISO 3166-1 alpha-2 codes custos accepts. */
export const ISO_COUNTRIES: ReadonlySet<string> = new Set(ISO_3166_ALPHA2.split(' '));

/** The 27 EU Member States. */
export const EU_MEMBER_STATES: ReadonlySet<string> = new Set(
  'AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK'.split(' '),
);

/**
 * Member States bound by Regulation (EU) 2023/1543: all but Denmark, which does not take part
 * under Protocol No 22 to the Treaties (see the Regulation's recitals); Ireland takes part.
 */
export const BOUND_BY_2023_1543: ReadonlySet<string> = new Set([...EU_MEMBER_STATES].filter((s) => s !== 'DK'));

/**
 * Member States bound by Directive 2014/41/EU (EIO): all but Denmark and Ireland, which did not
 * take part in its adoption (Protocols No 21 and No 22; see the Directive's recitals).
 */
export const BOUND_BY_2014_41: ReadonlySet<string> = new Set(
  [...EU_MEMBER_STATES].filter((s) => s !== 'DK' && s !== 'IE'),
);
