//! Anagrafe entities: `persona`, `famiglia`, `residenza`.

use super::{Entity, Field, FieldType, Vocabulary};

pub(super) const fn field(name: &'static str, title: &'static str, description: &'static str) -> Field {
    Field {
        name,
        title,
        description,
        ty: FieldType::String,
        required: false,
        pattern: None,
        vocabulary: None,
        ontology: None,
        personal: false,
        mappable: true,
    }
}

pub(super) const COMUNE_ISTAT: Field = Field {
    required: true,
    pattern: Some("^[0-9]{6}$"),
    ontology: Some("CLV/hasCity"),
    mappable: false,
    ..field(
        "comune_istat",
        "Comune (codice ISTAT)",
        "Codice ISTAT a sei cifre del comune che ha fornito il dato; chiave di partizione.",
    )
};

pub(super) const TAX_CODE: Field = Field {
    required: true,
    pattern: Some("^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$"),
    ontology: Some("CPV/taxCode"),
    personal: true,
    ..field(
        "tax_code",
        "Codice fiscale",
        "Codice fiscale della persona, come attribuito dall'Agenzia delle Entrate (anche omocodico).",
    )
};

const REGISTERED_FAMILY_CODE: Field = Field {
    required: true,
    ontology: Some("RPO/registeredFamilyCode"),
    ..field(
        "registered_family_code",
        "Codice famiglia anagrafica",
        "Identificativo della famiglia anagrafica nel gestionale del comune.",
    )
};

const PERSONA_FIELDS: &[Field] = &[
    COMUNE_ISTAT,
    TAX_CODE,
    Field {
        required: true,
        ontology: Some("CPV/familyName"),
        personal: true,
        ..field("family_name", "Cognome", "Cognome, in maiuscolo come in ANPR.")
    },
    Field {
        required: true,
        ontology: Some("CPV/givenName"),
        personal: true,
        ..field("given_name", "Nome", "Nome o nomi, in maiuscolo come in ANPR.")
    },
    Field {
        required: true,
        vocabulary: Some(Vocabulary::Sex),
        pattern: Some("^[MF]$"),
        ontology: Some("CPV/sexID"),
        ..field("sex_id", "Sesso", "Sesso: M o F.")
    },
    Field {
        ty: FieldType::Date,
        required: true,
        ontology: Some("CPV/dateOfBirth"),
        personal: true,
        ..field("date_of_birth", "Data di nascita", "Data di nascita.")
    },
    Field {
        required: true,
        pattern: Some("^[A-Z][0-9]{3}$"),
        ontology: Some("CPV/hasBirthPlace"),
        ..field(
            "birth_place_code",
            "Luogo di nascita (codice catastale)",
            "Codice catastale (Belfiore) del comune di nascita valido alla data di nascita, oppure codice Z dello Stato estero.",
        )
    },
    Field {
        pattern: Some("^[0-9]{3}$"),
        ontology: Some("RPO/citizenshipCode"),
        ..field(
            "citizenship_code",
            "Cittadinanza (codice ISTAT dello Stato)",
            "Codice ISTAT a tre cifre dello Stato di cittadinanza (100 = Italia).",
        )
    },
    Field {
        vocabulary: Some(Vocabulary::MaritalStatus),
        ontology: Some("RPO/maritalStatusCode"),
        ..field("marital_status_code", "Stato civile", "Codice ANPR dello stato civile.")
    },
    Field {
        ontology: Some("RPO/residentPersonID"),
        personal: true,
        ..field(
            "resident_person_id",
            "Identificativo ANPR",
            "Identificativo unico nazionale della persona in ANPR, se noto.",
        )
    },
];

const FAMIGLIA_FIELDS: &[Field] = &[
    COMUNE_ISTAT,
    REGISTERED_FAMILY_CODE,
    Field {
        ty: FieldType::Integer,
        required: true,
        ontology: Some("RPO/numberOfComponentsOfRegisteredFamily"),
        mappable: false,
        ..field(
            "number_of_components",
            "Numero di componenti",
            "Numero di persone della famiglia anagrafica presenti nei dati validati.",
        )
    },
    Field {
        name: "holder_tax_code",
        title: "Codice fiscale dell'intestatario",
        description: "Codice fiscale dell'intestatario della scheda di famiglia (relazione di parentela 1).",
        required: false,
        ontology: None,
        mappable: false,
        ..TAX_CODE
    },
];

const RESIDENZA_FIELDS: &[Field] = &[
    COMUNE_ISTAT,
    TAX_CODE,
    REGISTERED_FAMILY_CODE,
    Field {
        required: true,
        vocabulary: Some(Vocabulary::ParentalRelationship),
        ontology: Some("RPO/parentalRelationshipTypeCode"),
        ..field(
            "parental_relationship_type_code",
            "Relazione di parentela",
            "Codice ANPR (Tabella 5) della relazione con l'intestatario della scheda.",
        )
    },
    Field {
        vocabulary: Some(Vocabulary::Dug),
        ontology: Some("CLV/toponymQualifier"),
        personal: true,
        ..field(
            "toponym_qualifier",
            "DUG",
            "Denominazione urbanistica generica (VIA, PIAZZA, ...), dalla Tabella 4 ANPR.",
        )
    },
    Field {
        required: true,
        ontology: Some("CLV/officialStreetName"),
        personal: true,
        ..field(
            "official_street_name",
            "Denominazione della strada (DUF)",
            "Denominazione ufficiale della strada, senza DUG.",
        )
    },
    Field {
        ontology: Some("CLV/streetNumber"),
        personal: true,
        ..field("street_number", "Numero civico", "Numero civico.")
    },
    Field {
        ontology: Some("CLV/exponent"),
        personal: true,
        ..field(
            "street_number_exponent",
            "Esponente",
            "Esponente del civico (A, B, BIS...).",
        )
    },
    Field {
        pattern: Some("^[0-9]{5}$"),
        ontology: Some("CLV/postCode"),
        ..field("post_code", "CAP", "Codice di avviamento postale.")
    },
    Field {
        ty: FieldType::Date,
        ontology: None,
        personal: true,
        ..field(
            "residence_start_date",
            "Data di decorrenza della residenza",
            "Data da cui decorre la residenza all'indirizzo.",
        )
    },
];

pub(super) const PERSONA: Entity = Entity {
    name: "persona",
    title: "Persona residente",
    description: "Una persona iscritta nell'anagrafe della popolazione residente di un comune.",
    ontology_class: Some("CPV/Person"),
    fields: PERSONA_FIELDS,
    primary_key: &["comune_istat", "tax_code"],
    partition_key: "comune_istat",
};

pub(super) const FAMIGLIA: Entity = Entity {
    name: "famiglia",
    title: "Famiglia anagrafica",
    description: "Una famiglia anagrafica, derivata dai componenti validati.",
    ontology_class: Some("RPO/RegisteredFamily"),
    fields: FAMIGLIA_FIELDS,
    primary_key: &["comune_istat", "registered_family_code"],
    partition_key: "comune_istat",
};

pub(super) const RESIDENZA: Entity = Entity {
        name: "residenza",
        title: "Residenza e appartenenza alla famiglia",
        description: "L'indirizzo di residenza di una persona e la sua relazione con l'intestatario della famiglia anagrafica.",
        ontology_class: Some("RPO/MembershipInRegisteredFamily"),
        fields: RESIDENZA_FIELDS,
        primary_key: &["comune_istat", "tax_code"],
        partition_key: "comune_istat",
};

pub(super) const ENTITIES: &[Entity] = &[PERSONA, FAMIGLIA, RESIDENZA];
