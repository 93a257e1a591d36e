/// The fixed vocabulary and parameters of the extended schema.
///
/// These are facts of the benchmark anchors' generator (`gen.py`): the same pools and weights make
/// the Swift stream statistically interchangeable with the anchors' data sets, even though the
/// bytes differ (different random generator).
enum ExtendedVocabulary {
    static let brands = ["Visa", "Mastercard", "Elo", "Amex", "Hipercard"]
    static let brandWeights = [0.45, 0.33, 0.12, 0.06, 0.04]
    /// First digit of a card number by brand (Elo and Hipercard share 6).
    static let brandFirstDigit: [UInt8] = Array("45636".utf8)

    static let categories = ["grocery", "restaurant", "fuel", "pharmacy", "electronics",
                             "apparel", "travel", "entertainment", "health", "education",
                             "utilities", "online_services"]
    static let categoryWeights = [0.18, 0.14, 0.10, 0.09, 0.06, 0.08, 0.04, 0.06, 0.07, 0.04, 0.06, 0.08]

    static let cities: [(city: String, state: String)] = [
        ("Sao Paulo", "SP"), ("Rio de Janeiro", "RJ"), ("Brasilia", "DF"),
        ("Salvador", "BA"), ("Fortaleza", "CE"), ("Belo Horizonte", "MG"),
        ("Manaus", "AM"), ("Curitiba", "PR"), ("Recife", "PE"), ("Goiania", "GO"),
        ("Belem", "PA"), ("Porto Alegre", "RS"), ("Guarulhos", "SP"),
        ("Campinas", "SP"), ("Sao Luis", "MA"), ("Sao Goncalo", "RJ"),
        ("Maceio", "AL"), ("Duque de Caxias", "RJ"), ("Campo Grande", "MS"),
        ("Natal", "RN"), ("Teresina", "PI"), ("Sao Bernardo do Campo", "SP"),
        ("Nova Iguacu", "RJ"), ("Joao Pessoa", "PB"), ("Santo Andre", "SP"),
        ("Osasco", "SP"), ("Jaboatao dos Guararapes", "PE"),
        ("Sao Jose dos Campos", "SP"), ("Ribeirao Preto", "SP"),
        ("Uberlandia", "MG"), ("Contagem", "MG"), ("Sorocaba", "SP"),
        ("Aracaju", "SE"), ("Feira de Santana", "BA"), ("Cuiaba", "MT"),
        ("Joinville", "SC"), ("Aparecida de Goiania", "GO"), ("Londrina", "PR"),
        ("Juiz de Fora", "MG"), ("Ananindeua", "PA"), ("Porto Velho", "RO"),
        ("Serra", "ES"), ("Niteroi", "RJ"), ("Caxias do Sul", "RS"),
        ("Macapa", "AP"), ("Florianopolis", "SC"), ("Vila Velha", "ES"),
        ("Mossoro", "RN"), ("Rio Branco", "AC"), ("Boa Vista", "RR"),
    ]

    static let firstNames = ["Ana", "Joao", "Maria", "Pedro", "Lucas", "Julia", "Gabriel", "Mariana",
                             "Rafael", "Beatriz", "Carlos", "Fernanda", "Bruno", "Camila", "Diego",
                             "Larissa", "Felipe", "Amanda", "Gustavo", "Leticia", "Thiago", "Patricia",
                             "Rodrigo", "Aline", "Marcelo", "Vanessa", "Eduardo", "Renata", "Paulo",
                             "Luana"]
    static let lastNames = ["Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves",
                            "Pereira", "Lima", "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho",
                            "Almeida", "Lopes", "Soares", "Fernandes", "Vieira", "Barbosa", "Rocha",
                            "Dias", "Nascimento", "Andrade", "Moreira", "Nunes", "Marques", "Machado",
                            "Mendes", "Freitas"]

    static let merchantPrefixes = ["Mercado", "Padaria", "Posto", "Farmacia", "Loja", "Restaurante",
                                   "Lanchonete", "Auto Pecas", "Livraria", "Pet Shop"]

    static let cardCount = 100_000
    static let merchantCount = 2_000
    /// Popularity exponents: weight of the card (merchant) of rank r is 1 / r^exponent.
    static let cardPopularityExponent = 0.6
    static let merchantPopularityExponent = 0.8

    /// Lognormal amount: sigma 0.9 and mu chosen so the mean is 150 (mean = e^(mu + sigma²/2)).
    static let amountMu = CMath.ln(150.0) - 0.405
    static let amountSigma = 0.9

    static let currency: StaticString = "BRL"
    static let declineProbability = 0.05
    static let outOfOrderProbability = 0.01
    /// Out-of-order events are shifted back by uniform(1, maxShift) milliseconds.
    static let maxOutOfOrderShiftMillis = 30_000.0
    static let meanGapMillis = 20.0
}
