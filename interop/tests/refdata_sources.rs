//! Cross-checks of the embedded tables in `interop/data/` against the source
//! files in `shared/refdata/`. They fail (not skip) when the files are
//! missing: CI always has them.

mod refdata_support;

use metrodati_interop::refdata;

#[test]
fn comuni_match_the_shared_cm_milano_list() {
    let path = refdata_support::refdata_file("cm_milano_comuni_133.csv");
    let mut rdr = csv::Reader::from_path(&path).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let (i_istat, i_name, i_cat, i_nuts) = (
        col("codice_istat"),
        col("denominazione"),
        col("codice_catastale"),
        col("nuts3_2024"),
    );
    let mut n = 0;
    for row in rdr.records() {
        let row = row.unwrap();
        let c = refdata::comune_by_istat(&row[i_istat]).unwrap_or_else(|| panic!("{row:?}"));
        assert_eq!(c.denominazione, &row[i_name]);
        assert_eq!(c.codice_catastale, &row[i_cat]);
        assert_eq!(c.nuts3, &row[i_nuts]);
        n += 1;
    }
    assert_eq!(n, refdata::comuni_cm().len());
}
