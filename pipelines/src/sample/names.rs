//! Name pools: common Italian surnames and given names (including
//! multi-part, apostrophe and accented forms, as ANPR stores them: upper
//! case) and plausible names for the largest foreign communities of the
//! Città Metropolitana.
//!
//! Every name is encodable in windows-1252, because most exports are.

use super::places::Country;

/// About 150 common surnames of Lombardy and of the rest of Italy.
pub(crate) const SURNAMES: &[&str] = &[
    "ROSSI", "RUSSO", "FERRARI", "ESPOSITO", "BIANCHI", "ROMANO", "COLOMBO", "RICCI", "MARINO",
    "GRECO", "BRUNO", "GALLO", "CONTI", "DE LUCA", "COSTA", "GIORDANO", "MANCINI", "RIZZO",
    "LOMBARDI", "MORETTI", "BARBIERI", "FONTANA", "SANTORO", "MARIANI", "RINALDI", "CARUSO",
    "FERRARA", "GALLI", "MARTINI", "LEONE", "LONGO", "GENTILE", "MARTINELLI", "VITALE",
    "LOMBARDO", "SERRA", "COPPOLA", "DE SANTIS", "D'ANGELO", "MARCHETTI", "PARISI", "VILLA",
    "CONTE", "FERRO", "FABBRI", "BIANCO", "MARINI", "GRASSO", "VALENTINI", "MESSINA", "SALA",
    "DE ANGELIS", "GATTI", "PELLEGRINI", "PALUMBO", "SANNA", "FARINA", "RIZZI", "MONTI",
    "CATTANEO", "MORELLI", "AMATO", "SILVESTRI", "MAZZA", "TESTA", "GRASSI", "PELLEGRINO",
    "CARBONE", "GIULIANI", "BENEDETTI", "BARONE", "ROSSETTI", "CAPUTO", "MONTANARI", "GUERRA",
    "PALMIERI", "BERNARDI", "MARTINO", "FIORE", "DE ROSA", "FERRANTE", "BRAMBILLA", "BERETTA",
    "FUMAGALLI", "BONFANTI", "RADAELLI", "CASIRAGHI", "BRIVIO", "CRIPPA", "MAGNI", "PEREGO",
    "VISMARA", "MOTTA", "REDAELLI", "LOCATELLI", "BIFFI", "ORLANDI", "BORGHI", "DELL'ACQUA",
    "CANTÙ", "DELLA VALLE", "LO RUSSO", "LA ROSA", "DI STEFANO", "DI MARCO", "D'AMICO",
    "LI CAUSI", "CASATI", "BOSSI", "GALIMBERTI", "ZANETTI", "MAGGI", "RIVA", "PIROVANO",
    "MAURI", "NAVA", "MONTALBETTI", "SCOTTI", "MERONI", "TAGLIABUE", "PIAZZA", "ROTA",
    "SORMANI", "SPINELLI", "BELLINI", "MOLTENI", "GUIDI", "CASTELLI", "BASSI", "CERIANI",
    "FERRARIO", "ZANONI", "ARIENTI", "CAIMI", "LONGONI", "CORTI", "DELL'ORTO", "BERTÈ",
    "DI GIACOMO", "DE MARCHI", "LA MONICA", "ZAPPALÀ", "ROMEO", "MILANI", "COLOMBINI",
    "SCHIAVONE", "IANNACCONE", "DONATI", "SALVI", "PEREGALLI", "VIGANÒ", "NEGRI", "BERTOLINI",
];

/// Given names, male, more frequent among people born before 1975.
pub(crate) const MALE_CLASSIC: &[&str] = &[
    "GIUSEPPE", "GIOVANNI", "ANTONIO", "MARIO", "LUIGI", "FRANCESCO", "ANGELO", "VINCENZO",
    "PIETRO", "SALVATORE", "CARLO", "FRANCO", "DOMENICO", "BRUNO", "PAOLO", "MICHELE",
    "GIORGIO", "ALDO", "SERGIO", "LUCIANO", "ROBERTO", "ENRICO", "RENATO", "UMBERTO",
    "CLAUDIO", "MASSIMO", "STEFANO", "GIANCARLO", "PIER LUIGI", "GIAN PAOLO", "ERMANNO",
    "NICOLÒ", "FABRIZIO", "MAURIZIO", "ALBERTO",
];

/// Given names, male, more frequent among people born from 1975.
pub(crate) const MALE_MODERN: &[&str] = &[
    "MARCO", "ALESSANDRO", "ANDREA", "LUCA", "MATTEO", "LORENZO", "DAVIDE", "SIMONE",
    "RICCARDO", "TOMMASO", "LEONARDO", "GABRIELE", "EDOARDO", "NICCOLÒ", "MATTIA", "FEDERICO",
    "FILIPPO", "GIANMARCO", "DANIELE", "EMANUELE", "CRISTIAN", "ELIA", "SAMUELE", "DIEGO",
    "GIACOMO", "ALESSIO", "MICHELE", "FRANCESCO", "PIETRO", "GIAN MARCO", "JACOPO",
];

/// Given names, female, more frequent among people born before 1975.
pub(crate) const FEMALE_CLASSIC: &[&str] = &[
    "MARIA", "ANNA", "GIUSEPPINA", "ROSA", "ANGELA", "GIOVANNA", "TERESA", "LUCIA", "CARMELA",
    "FRANCESCA", "CATERINA", "ANTONIETTA", "CARLA", "FRANCA", "PAOLA", "LUISA", "MARIA GRAZIA",
    "ANNA MARIA", "MARIA TERESA", "PATRIZIA", "DANIELA", "GABRIELLA", "NICOLETTA", "ELISABETTA",
    "ROBERTA", "BARBARA", "MONICA", "CRISTINA", "SIMONA", "LAURA", "RAFFAELLA", "LETIZIA",
];

/// Given names, female, more frequent among people born from 1975.
pub(crate) const FEMALE_MODERN: &[&str] = &[
    "GIULIA", "FRANCESCA", "CHIARA", "SARA", "MARTINA", "ALESSIA", "ELENA", "VALENTINA",
    "FEDERICA", "SILVIA", "ELISA", "SOFIA", "AURORA", "GINEVRA", "ALICE", "EMMA", "GIORGIA",
    "BEATRICE", "NOEMI", "MATILDE", "GRETA", "REBECCA", "ASIA", "BIANCA", "ILARIA", "ANNA",
    "VITTORIA", "CAMILLA", "NICOLE", "ARIANNA",
];

/// Surnames, male and female given names of a foreign community,
/// transliterated in plain ASCII as they appear on residence permits.
pub(crate) struct ForeignNames {
    pub surnames: &'static [&'static str],
    pub male: &'static [&'static str],
    pub female: &'static [&'static str],
}

pub(crate) fn foreign_names(country: Country) -> &'static ForeignNames {
    match country {
        Country::Romania => &ForeignNames {
            surnames: &[
                "POPESCU", "IONESCU", "POPA", "RADU", "DUMITRU", "STAN", "STOICA", "GHEORGHE",
                "MATEI", "CONSTANTIN",
            ],
            male: &["ANDREI", "ION", "MIHAI", "ALEXANDRU", "GABRIEL", "FLORIN", "COSTEL", "VASILE"],
            female: &["ELENA", "IOANA", "MARIA", "ANDREEA", "MIHAELA", "ALINA", "GABRIELA", "DANIELA"],
        },
        Country::Marocco => &ForeignNames {
            surnames: &[
                "EL AMRANI", "BENALI", "EL IDRISSI", "BOUZIDI", "EL MANSOURI", "ZAHIR", "LAHLOU",
                "BENNANI", "EL FASSI", "AIT BEN ALI",
            ],
            male: &["MOHAMED", "YOUSSEF", "AHMED", "HAMZA", "RACHID", "KARIM", "SAID", "ADIL"],
            female: &["FATIMA", "KHADIJA", "AICHA", "SALMA", "NADIA", "MERYEM", "HOUDA", "ZINEB"],
        },
        Country::Cina => &ForeignNames {
            surnames: &["HU", "WANG", "CHEN", "ZHOU", "ZHANG", "LIN", "HUANG", "XU", "JIN", "YE"],
            male: &["WEI", "JIAN", "HAO", "JUN", "MING", "LEI", "TAO", "YONG"],
            female: &["MEI", "YING", "JING", "HUI", "FANG", "LAN", "XIN", "YAN"],
        },
        Country::Filippine => &ForeignNames {
            surnames: &[
                "SANTOS", "REYES", "CRUZ", "BAUTISTA", "GARCIA", "MENDOZA", "DELA CRUZ", "VILLANUEVA",
                "RAMOS", "AQUINO",
            ],
            male: &["JOSE", "MARK", "JOHN PAUL", "RICARDO", "ROMMEL", "JERICHO", "ARNEL", "RONALD"],
            female: &["MARIA CRISTINA", "MARICEL", "ROWENA", "JOCELYN", "LIEZEL", "ANALYN", "GRACE", "JOY"],
        },
        Country::Egitto => &ForeignNames {
            surnames: &[
                "MOHAMED", "HASSAN", "IBRAHIM", "MAHMOUD", "ABDELRAHMAN", "SAYED", "FAROUK",
                "ABDEL AZIZ", "MOUSTAFA", "SALEH",
            ],
            male: &["AHMED", "MOSTAFA", "OMAR", "KHALED", "TAREK", "MAHMOUD", "ALI", "YASSER"],
            female: &["NOUR", "MARWA", "AYA", "SHAIMAA", "HEBA", "DINA", "MONA", "RANIA"],
        },
        Country::Peru => &ForeignNames {
            surnames: &[
                "QUISPE", "FLORES", "MAMANI", "HUAMAN", "ROJAS", "CHAVEZ", "VARGAS", "TORRES", "RAMIREZ",
                "GUTIERREZ",
            ],
            male: &["LUIS", "JORGE", "CARLOS", "JUAN CARLOS", "CESAR", "MIGUEL", "VICTOR", "RAUL"],
            female: &["ROSA", "MARIA ELENA", "CARMEN", "LUZ", "GLADYS", "MILAGROS", "PATRICIA", "ELSA"],
        },
        Country::Ecuador => &ForeignNames {
            surnames: &[
                "ZAMBRANO", "MOREIRA", "MACIAS", "VERA", "CEDENO", "MENDOZA", "ALVARADO", "CASTRO",
                "PINCAY", "ANDRADE",
            ],
            male: &["JOSE LUIS", "BYRON", "EDISON", "WILSON", "DIEGO", "FRANKLIN", "DARWIN", "HENRY"],
            female: &["JESSICA", "KATHERINE", "MAYRA", "LORENA", "NANCY", "DIANA", "GISSELA", "VERONICA"],
        },
        Country::Albania => &ForeignNames {
            surnames: &[
                "HOXHA", "SHEHU", "DUKA", "KOLA", "GJONI", "LEKA", "BEGAJ", "MUCA", "KRASNIQI",
                "BERISHA",
            ],
            male: &["ARDIT", "ERMAL", "GENTI", "KLODIAN", "ERJON", "BESNIK", "ARBEN", "ILIR"],
            female: &["ELONA", "ANXHELA", "BLERTA", "ERISA", "FLORA", "JONIDA", "ENKELEDA", "DORINA"],
        },
        Country::Ucraina => &ForeignNames {
            surnames: &[
                "KOVALENKO", "SHEVCHENKO", "BONDARENKO", "TKACHENKO", "KRAVCHENKO", "MELNYK", "BOYKO",
                "KOVAL", "OLIYNYK", "SHEVCHUK",
            ],
            male: &["OLEKSANDR", "ANDRIY", "SERHIY", "VOLODYMYR", "DMYTRO", "MYKOLA", "IVAN", "TARAS"],
            female: &["OKSANA", "NATALIIA", "OLENA", "IRYNA", "TETIANA", "HALYNA", "SVITLANA", "LIUDMYLA"],
        },
        Country::SriLanka => &ForeignNames {
            surnames: &[
                "FERNANDO", "PERERA", "SILVA", "DE SILVA", "JAYASINGHE", "WICKRAMASINGHE", "RODRIGO",
                "GUNAWARDENA", "DISSANAYAKE", "BANDARA",
            ],
            male: &["NUWAN", "CHAMINDA", "RUWAN", "KASUN", "PRIYANTHA", "SUNIL", "LAHIRU", "ASANKA"],
            female: &["DILANI", "NILMINI", "CHAMARI", "SANDYA", "KUMARI", "SHIRANI", "NADEESHA", "MALKI"],
        },
        Country::Bangladesh => &ForeignNames {
            surnames: &[
                "HOSSAIN", "RAHMAN", "ISLAM", "AHMED", "UDDIN", "MIAH", "KHAN", "ALAM", "SARKAR",
                "CHOWDHURY",
            ],
            male: &["MD RAHIM", "KARIM", "ABDUL", "SHAHIN", "RUBEL", "JAHANGIR", "MASUD", "SOHEL"],
            female: &["NASRIN", "SHIRIN", "RUMA", "FARZANA", "SHAHANA", "RAHIMA", "SABINA", "TANIA"],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::places::COUNTRIES;

    fn all_names() -> Vec<&'static str> {
        let mut v: Vec<&str> = Vec::new();
        for list in [SURNAMES, MALE_CLASSIC, MALE_MODERN, FEMALE_CLASSIC, FEMALE_MODERN] {
            v.extend_from_slice(list);
        }
        for c in COUNTRIES {
            let f = foreign_names(c.country);
            v.extend_from_slice(f.surnames);
            v.extend_from_slice(f.male);
            v.extend_from_slice(f.female);
        }
        v
    }

    #[test]
    fn pools_are_upper_case_and_windows_1252() {
        assert!((140..=170).contains(&SURNAMES.len()), "{}", SURNAMES.len());
        for n in all_names() {
            assert_eq!(n, n.to_uppercase(), "{n}");
            assert_eq!(n.trim(), n, "{n}");
            assert!(!n.contains("  "), "{n}");
            let (_, _, unmappable) = encoding_rs::WINDOWS_1252.encode(n);
            assert!(!unmappable, "{n} is not windows-1252");
        }
        assert!(SURNAMES.contains(&"DE LUCA") && SURNAMES.contains(&"DELL'ACQUA") && SURNAMES.contains(&"CANTÙ"));
        assert!(MALE_MODERN.contains(&"NICCOLÒ"));
    }
}
